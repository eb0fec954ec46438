package handlers_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/izpochat/server/config"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"

	"github.com/izpochat/server/auth"
	"github.com/izpochat/server/chat"
	"github.com/izpochat/server/internal/testdb"
	"github.com/izpochat/server/internal/testkit/testapp"
	"github.com/izpochat/server/models"
)

var testSecret = testapp.Secret

// harness is the whole server as main wires it (testapp), driven over real HTTP.
type harness struct {
	t      *testing.T
	db     *gorm.DB
	srv    *httptest.Server
	chat   *chat.Service
	tokens *auth.Tokens
	// queries counts every SQL statement GORM runs (for the N+1 tests).
	queries *atomic.Int64
}

// as is the harness reporting to t (a subtest).
func (h *harness) as(t *testing.T) *harness {
	c := *h
	c.t = t
	return &c
}

type harnessOption = testapp.Option

var (
	withOrigins          = testapp.WithOrigins
	withMaxMessageLength = testapp.WithMaxMessageLength
	// withRates sets the per-IP and per-user rate limits (the test app has none).
	withRates          = testapp.WithRates
	withPasswordBudget = testapp.WithPasswordBudget
)

func newHarness(t *testing.T, driver string, opts ...harnessOption) *harness {
	t.Helper()
	app := testapp.Start(t, driver, opts...)
	h := &harness{t: t, db: app.DB, srv: app.Server, chat: app.Chat,
		tokens: auth.NewTokens(app.Config.JWTSecret, app.Config.TokenTTL), queries: new(atomic.Int64)}
	count := func(*gorm.DB) { h.queries.Add(1) }
	cb := h.db.Callback()
	for name, err := range map[string]error{
		"create": cb.Create().After("gorm:create").Register("test:count_create", count),
		"query":  cb.Query().After("gorm:query").Register("test:count_query", count),
		"update": cb.Update().After("gorm:update").Register("test:count_update", count),
		"delete": cb.Delete().After("gorm:delete").Register("test:count_delete", count),
		"row":    cb.Row().After("gorm:row").Register("test:count_row", count),
		"raw":    cb.Raw().After("gorm:raw").Register("test:count_raw", count),
	} {
		if err != nil {
			t.Fatalf("register %s counter: %v", name, err)
		}
	}
	return h
}

// eachDB runs fn on a fresh harness per database.
func eachDB(t *testing.T, fn func(t *testing.T, h *harness), opts ...harnessOption) {
	t.Helper()
	for _, driver := range testdb.Drivers() {
		t.Run(driver, func(t *testing.T) { fn(t, newHarness(t, driver, opts...)) })
	}
}

// response is a finished HTTP exchange.
type response struct {
	t      *testing.T
	method string
	path   string
	Status int
	Header http.Header
	Body   []byte
}

// req is one request to send; Body may be nil, a string or []byte (sent raw), or
// anything else (sent as JSON).
type req struct {
	Method  string
	Path    string
	Token   string
	Body    any
	Type    string // Content-Type; defaults to application/json when Body is set
	Headers map[string]string
	From    string // the loopback address to send from (default 127.0.0.1)
}

func (h *harness) send(r req) response {
	h.t.Helper()
	var body io.Reader
	ctype := r.Type
	switch b := r.Body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	case []byte:
		body = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			h.t.Fatalf("marshal body: %v", err)
		}
		body = bytes.NewReader(raw)
	}
	if body != nil && ctype == "" {
		ctype = "application/json"
	}
	httpReq, err := http.NewRequest(r.Method, h.srv.URL+r.Path, body)
	if err != nil {
		h.t.Fatalf("new request: %v", err)
	}
	if ctype != "" {
		httpReq.Header.Set("Content-Type", ctype)
	}
	if r.Token != "" {
		httpReq.Header.Set("Authorization", "Bearer "+r.Token)
	}
	for k, v := range r.Headers {
		httpReq.Header.Set(k, v)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if r.From != "" {
		dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(r.From)}}
		client.Transport = &http.Transport{DialContext: dialer.DialContext}
		defer client.CloseIdleConnections()
	}
	res, err := client.Do(httpReq)
	if err != nil {
		h.t.Fatalf("%s %s: %v", r.Method, r.Path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		h.t.Fatalf("%s %s: read body: %v", r.Method, r.Path, err)
	}
	return response{t: h.t, method: r.Method, path: r.Path, Status: res.StatusCode, Header: res.Header, Body: raw}
}

func (h *harness) get(path, token string) response {
	h.t.Helper()
	return h.send(req{Method: http.MethodGet, Path: path, Token: token})
}

func (h *harness) post(path, token string, body any) response {
	h.t.Helper()
	return h.send(req{Method: http.MethodPost, Path: path, Token: token, Body: body})
}

func (h *harness) put(path, token string, body any) response {
	h.t.Helper()
	return h.send(req{Method: http.MethodPut, Path: path, Token: token, Body: body})
}

func (h *harness) del(path, token string) response {
	h.t.Helper()
	return h.send(req{Method: http.MethodDelete, Path: path, Token: token})
}

// expect fails the test unless the status is want; it returns r for chaining.
func (r response) expect(want int) response {
	r.t.Helper()
	if r.Status != want {
		r.t.Fatalf("%s %s: status %d, want %d; body %s", r.method, r.path, r.Status, want, r.Body)
	}
	return r
}

// obj decodes the body as a JSON object.
func (r response) obj() map[string]any {
	r.t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		r.t.Fatalf("%s %s: body is not a JSON object: %v; %s", r.method, r.path, err, r.Body)
	}
	return m
}

// list decodes the body as a JSON array (never null).
func (r response) list() []map[string]any {
	r.t.Helper()
	if bytes.Equal(bytes.TrimSpace(r.Body), []byte("null")) {
		r.t.Fatalf("%s %s: body is null, want a JSON array", r.method, r.path)
	}
	var l []map[string]any
	if err := json.Unmarshal(r.Body, &l); err != nil {
		r.t.Fatalf("%s %s: body is not a JSON array of objects: %v; %s", r.method, r.path, err, r.Body)
	}
	return l
}

// expectError checks the status and the contract's error shape {error, detail}.
func (r response) expectError(want int) map[string]any {
	r.t.Helper()
	r.expect(want)
	m := r.obj()
	assertKeys(r.t, "error body", m, "error", "detail")
	msg, _ := m["error"].(string)
	if msg == "" || m["detail"] != msg {
		r.t.Fatalf("%s %s: error body %v: error must be a non-empty text equal to detail", r.method, r.path, m)
	}
	lower := strings.ToLower(msg)
	for _, leak := range []string{"sql", "gorm", "select ", "insert ", "goroutine", "panic"} {
		if strings.Contains(lower, leak) {
			r.t.Fatalf("%s %s: error text leaks internals: %q", r.method, r.path, msg)
		}
	}
	return m
}

// user is a registered test account.
type user struct {
	ID       int64
	Username string
	Email    string
	Password string
	Token    string
}

// register creates an account straight in the store with a cheap bcrypt hash (the
// registration route itself is tested in accounts_test.go; bcrypt at full cost
// under -race would make every test slow) and signs a token for it.
func (h *harness) register(username string) user {
	h.t.Helper()
	u := user{Username: username, Email: strings.ToLower(username) + "@example.com", Password: "secret-" + username}
	hash, err := bcrypt.GenerateFromPassword([]byte(u.Password), bcrypt.MinCost)
	if err != nil {
		h.t.Fatal(err)
	}
	fullName := "Full " + username
	row := &models.User{Username: u.Username, Email: u.Email, PasswordHash: string(hash), FullName: &fullName, CreatedAt: chat.Now()}
	if err := models.NewStore(h.db).CreateUser(h.t.Context(), row); err != nil {
		h.t.Fatalf("create user %s: %v", username, err)
	}
	u.ID = row.ID
	if u.Token, err = h.tokens.Issue(u.ID, u.Username); err != nil {
		h.t.Fatal(err)
	}
	return u
}

// registerViaAPI creates an account through POST /api/users/register.
func (h *harness) registerViaAPI(username string) user {
	h.t.Helper()
	u := user{Username: username, Email: strings.ToLower(username) + "@example.com", Password: "secret-" + username}
	res := h.post("/api/users/register", "", map[string]any{
		"username": u.Username, "email": u.Email, "password": u.Password, "full_name": "Full " + username,
	}).expect(http.StatusCreated).obj()
	u.Token, _ = res["access_token"].(string)
	u.ID = int64(num(h.t, res["user_id"]))
	if u.Token == "" || u.ID <= 0 {
		h.t.Fatalf("register %s: no token or id in %v", username, res)
	}
	return u
}

func (h *harness) createRoom(owner user, name string, private bool) int64 {
	h.t.Helper()
	res := h.post("/api/rooms", owner.Token, map[string]any{"name": name, "description": "about " + name, "is_private": private}).
		expect(http.StatusCreated).obj()
	return int64(num(h.t, res["id"]))
}

func (h *harness) postMessage(u user, roomID int64, content string) map[string]any {
	h.t.Helper()
	return h.post(fmt.Sprintf("/api/rooms/%d/messages", roomID), u.Token, map[string]any{"content": content}).
		expect(http.StatusCreated).obj()
}

// num reads a JSON number.
func num(t *testing.T, v any) float64 {
	t.Helper()
	f, ok := v.(float64)
	if !ok {
		t.Fatalf("%v (%T) is not a JSON number", v, v)
	}
	return f
}

func keysOf(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// assertKeys checks that m has exactly the given keys.
func assertKeys(t *testing.T, what string, m map[string]any, want ...string) {
	t.Helper()
	want = slices.Clone(want)
	sort.Strings(want)
	if got := keysOf(m); !slices.Equal(got, want) {
		t.Fatalf("%s has keys %v, want exactly %v (%v)", what, got, want, m)
	}
}

// assertTime checks a contract timestamp: RFC 3339, UTC, ending in Z.
func assertTime(t *testing.T, what string, v any) time.Time {
	t.Helper()
	s, ok := v.(string)
	if !ok || !strings.HasSuffix(s, "Z") {
		t.Fatalf("%s = %v: want an RFC 3339 UTC text ending in Z", what, v)
	}
	ts, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("%s = %q does not parse: %v", what, s, err)
	}
	if ts.Year() < 2000 {
		t.Fatalf("%s = %q is not a real time", what, s)
	}
	return ts
}

var (
	selfUserKeys   = []string{"id", "username", "email", "full_name", "created_at"}
	publicUserKeys = []string{"id", "username", "full_name", "created_at"}
	refKeys        = []string{"id", "username", "full_name"}
	roomKeys       = []string{"id", "name", "description", "is_private", "created_at", "created_by", "creator", "member_count", "members", "my_role",
		"owner_id", "owner", "updated_at", // the FastAPI generation's names
		"last_read_id", "unread_count"} // the caller's read state (issue 23.5)
	// A room's member: a public user with its role (issue 23.1).
	memberKeys = append(slices.Clone(publicUserKeys), "role")
	// The contract's Message fields plus type and timestamp, which one Angular build needs;
	// sender_id and room{id,name}: the FastAPI generation's names; edited_at and reply_to (issue 23.2, 23.3).
	messageKeys = []string{"id", "content", "user_id", "username", "room_id", "created_at", "file_url", "file_id", "sender", "type", "timestamp",
		"sender_id", "room", "edited_at", "reply_to"}
)

// assertMember checks a member of a room's member list.
func assertMember(t *testing.T, m map[string]any) {
	t.Helper()
	assertKeys(t, "Member", m, memberKeys...)
	assertTime(t, "member.created_at", m["created_at"])
	switch m["role"] {
	case "owner", "admin", "member":
	default:
		t.Fatalf("member role = %v", m["role"])
	}
}

func assertSelfUser(t *testing.T, m map[string]any) {
	t.Helper()
	assertKeys(t, "User(self)", m, selfUserKeys...)
	assertTime(t, "user.created_at", m["created_at"])
}

func assertPublicUser(t *testing.T, m map[string]any) {
	t.Helper()
	assertKeys(t, "User(others)", m, publicUserKeys...)
	assertTime(t, "user.created_at", m["created_at"])
}

func assertRoom(t *testing.T, m map[string]any) {
	t.Helper()
	assertKeys(t, "Room", m, roomKeys...)
	assertTime(t, "room.created_at", m["created_at"])
	creator, ok := m["creator"].(map[string]any)
	if !ok {
		t.Fatalf("room.creator = %v, want an object", m["creator"])
	}
	assertKeys(t, "room.creator", creator, refKeys...)
	if creator["id"] != m["created_by"] {
		t.Fatalf("room.creator.id %v != created_by %v", creator["id"], m["created_by"])
	}
	if m["owner_id"] != m["created_by"] || !reflect.DeepEqual(m["owner"], m["creator"]) {
		t.Fatalf("room.owner_id/owner %v/%v != created_by/creator %v/%v", m["owner_id"], m["owner"], m["created_by"], m["creator"])
	}
	if updated := assertTime(t, "room.updated_at", m["updated_at"]); updated.Before(assertTime(t, "room.created_at", m["created_at"])) {
		t.Fatalf("room.updated_at %v before created_at %v", m["updated_at"], m["created_at"])
	}
	members, ok := m["members"].([]any)
	if !ok {
		t.Fatalf("room.members = %v, want an array", m["members"])
	}
	for _, mem := range members {
		assertMember(t, mem.(map[string]any))
	}
	if int(num(t, m["member_count"])) < len(members) {
		t.Fatalf("member_count %v < %d listed members", m["member_count"], len(members))
	}
}

func assertMessage(t *testing.T, m map[string]any) {
	t.Helper()
	assertKeys(t, "Message", m, messageKeys...)
	assertTime(t, "message.created_at", m["created_at"])
	if m["timestamp"] != m["created_at"] {
		t.Fatalf("message.timestamp %v != created_at %v", m["timestamp"], m["created_at"])
	}
	sender, ok := m["sender"].(map[string]any)
	if !ok {
		t.Fatalf("message.sender = %v, want an object", m["sender"])
	}
	assertKeys(t, "message.sender", sender, refKeys...)
	if sender["id"] != m["user_id"] || sender["username"] != m["username"] {
		t.Fatalf("message.sender %v does not match user_id/username of %v", sender, m)
	}
	room, ok := m["room"].(map[string]any)
	if !ok || m["sender_id"] != m["user_id"] || room["id"] != m["room_id"] {
		t.Fatalf("message.sender_id/room %v/%v do not match user_id/room_id of %v", m["sender_id"], m["room"], m)
	}
	assertKeys(t, "message.room", room, "id", "name")
}

// ids lists the "id" of each object.
func ids(t *testing.T, l []map[string]any, key string) []int64 {
	t.Helper()
	out := make([]int64, 0, len(l))
	for _, m := range l {
		out = append(out, int64(num(t, m[key])))
	}
	return out
}

// withHistoryCache bounds the rendered history pages kept.
func withHistoryCache(rooms int, bytes int64) harnessOption {
	return testapp.WithConfig(func(c *config.Config) { c.HistoryCache = config.HistoryCache{Rooms: rooms, Bytes: bytes} })
}
