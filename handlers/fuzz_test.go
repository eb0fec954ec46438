package handlers_test

import (
	"bytes"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/izpochat/server/auth"
	"github.com/izpochat/server/internal/testkit/testapp"
	"github.com/izpochat/server/models"
)

// fuzzServer is the whole server as main wires it (testapp: the edge, the
// access cache and the metrics in front of the REST door), on SQLite, with one
// account and one room to aim requests at. It is built once per fuzz target
// and serves requests in process (httptest.NewRecorder through the app's
// handler): thousands a second.
type fuzzServer struct {
	handler http.Handler
	token   string
	roomID  int64
	userID  int64
	// messageID is a message of the fuzzer's own in roomID, for the edit route.
	messageID int64
}

func newFuzzServer(f *testing.F) *fuzzServer {
	f.Helper()
	app := testapp.Start(f, "sqlite")
	db, cfg := app.DB, app.Config
	s := &fuzzServer{handler: app.Handler}
	// The account is stored with a one-round Werkzeug hash and its token issued
	// directly: hashing at the real cost takes seconds under -race.
	salt := "fuzzsalt"
	digest, err := pbkdf2.Key(sha256.New, "secret-fuzzer", []byte(salt), 1, sha256.Size)
	if err != nil {
		f.Fatal(err)
	}
	user := models.User{Username: "fuzzer", Email: "fuzzer@example.com", CreatedAt: time.Now(),
		PasswordHash: "pbkdf2:sha256:1$" + salt + "$" + hex.EncodeToString(digest)}
	if err := db.Create(&user).Error; err != nil {
		f.Fatalf("store the account: %v", err)
	}
	if s.token, err = auth.NewTokens(cfg.JWTSecret, cfg.TokenTTL).Issue(user.ID, user.Username); err != nil {
		f.Fatal(err)
	}
	s.userID = user.ID
	var status int
	var body []byte
	status, body = s.do("POST", "/api/rooms", s.token, "application/json", []byte(`{"name":"fuzz room"}`))
	var room struct {
		ID int64 `json:"id"`
	}
	if status != http.StatusCreated || json.Unmarshal(body, &room) != nil || room.ID == 0 {
		f.Fatalf("create room: %d %s", status, body)
	}
	s.roomID = room.ID
	status, body = s.do("POST", "/api/rooms/"+strconv.FormatInt(room.ID, 10)+"/messages", s.token, "application/json", []byte(`{"content":"fuzz"}`))
	var msg struct {
		ID int64 `json:"id"`
	}
	if status != http.StatusCreated || json.Unmarshal(body, &msg) != nil || msg.ID == 0 {
		f.Fatalf("post message: %d %s", status, body)
	}
	s.messageID = msg.ID
	return s
}

// do serves one request; the target is taken as it is (no URL parsing), so a
// fuzzed path or query reaches the router unchanged.
func (s *fuzzServer) do(method, target, token, ctype string, body []byte) (int, []byte) {
	path, query, _ := strings.Cut(target, "?")
	req := httptest.NewRequest(method, "/", bytes.NewReader(body))
	req.URL = &url.URL{Path: path, RawQuery: query}
	req.RequestURI = target
	req.RemoteAddr = "127.0.0.1:40000"
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	s.handler.ServeHTTP(rec, req)
	return rec.Code, rec.Body.Bytes()
}

// checkAnswer asserts what every REST answer to a client's input must be: no
// 5xx, JSON, and errors in the contract's shape ({"error", "detail"}, the same
// public text).
func checkAnswer(t *testing.T, what string, status int, body []byte) {
	t.Helper()
	if status >= 500 {
		t.Fatalf("%s: status %d: %s", what, status, body)
	}
	if !json.Valid(body) {
		t.Fatalf("%s: status %d, not JSON: %q", what, status, body)
	}
	if status < 400 {
		return
	}
	var e map[string]any
	if json.Unmarshal(body, &e) != nil {
		t.Fatalf("%s: status %d, error is not an object: %s", what, status, body)
	}
	msg, ok := e["error"].(string)
	if !ok || msg == "" || e["detail"] != msg || !utf8.ValidString(msg) {
		t.Fatalf("%s: status %d, error not in the contract's shape: %s", what, status, body)
	}
}

// bodyRoutes are the routes that read a JSON (or form) body.
var bodyRoutes = []struct {
	method, path string
	authed       bool
}{
	{"POST", "/api/users/register", false},
	{"POST", "/api/users/login", false},
	{"PUT", "/api/users/me", true},
	{"POST", "/api/rooms", true},
	{"PUT", "/api/rooms/{room}", true},
	{"POST", "/api/rooms/{room}/messages", true},
	{"POST", "/api/conversations", true},
	{"POST", "/api/conversations/initiate", true},
	// issue 23
	{"POST", "/api/rooms/{room}/members", true},
	{"PUT", "/api/rooms/{room}/members/{user}", true},
	{"PATCH", "/api/messages/{message}", true},
	{"POST", "/api/rooms/{room}/read", true},
}

var contentTypes = []string{"application/json", "", "text/plain", "application/x-www-form-urlencoded",
	"multipart/form-data; boundary=X", "application/vnd.api+json", "application/json; charset=utf-8", "application/xml"}

// Any body with any content type on every route that reads one: never a 5xx,
// errors in the contract's shape, and a body that is not valid UTF-8 or not
// valid JSON (sent as JSON) is never accepted.
func FuzzRESTBodies(f *testing.F) {
	for i, b := range []string{
		`{"username":"alice","email":"not an email","password":"secret-alice","full_name":"Alice"}`,
		`{"username":"fuzzer","password":"wrong-password"}`,
		`{"email":"FUZZER@example.com","password":"wrong"}`,
		`{"full_name":"New Name","avatar_url":"https://example.com/a.png"}`,
		`{"name":"general","description":"d","is_private":true}`,
		`{"name":"","is_private":"yes"}`,
		`{"content":"hello","file_id":"3"}`,
		`{"user_id":1}`, `{"username":"fuzzer"}`, `{"participant_id":"99999999999999999999"}`,
		`{"content":5}`, `{"file_id":1.5}`, `{"role":"admin"}`, `{"role":7}`, `{"user_id":"x"}`, `{"content":"edited","reply_to_id":1}`, `[]`, `null`, `"x"`, ``, `{`, `{"content":"` + "\xff" + `"}`,
		`username=bob&password=x&email=b%40example.com`, `{"a":` + strings.Repeat("[", 5000) + `}`,
		"--X\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nbob\r\n--X--\r\n",
	} {
		f.Add(uint8(i), uint8(i), []byte(b))
	}
	s := newFuzzServer(f)
	f.Fuzz(func(t *testing.T, routeIndex, typeIndex uint8, body []byte) {
		route := bodyRoutes[int(routeIndex)%len(bodyRoutes)]
		ctype := contentTypes[int(typeIndex)%len(contentTypes)]
		path := strings.NewReplacer("{room}", strconv.FormatInt(s.roomID, 10), "{user}", strconv.FormatInt(s.userID, 10),
			"{message}", strconv.FormatInt(s.messageID, 10)).Replace(route.path)
		token := ""
		if route.authed {
			token = s.token
		}
		status, answer := s.do(route.method, path, token, ctype, body)
		what := route.method + " " + path + " (" + ctype + ") " + strconv.Quote(string(body))
		checkAnswer(t, what, status, answer)
		jsonType := ctype == "" || strings.HasPrefix(ctype, "application/json") || ctype == "text/plain" || strings.HasSuffix(ctype, "+json")
		if status < 300 && jsonType && (!utf8.Valid(body) || !json.Valid(body)) {
			t.Fatalf("%s: accepted (%d): %s", what, status, answer)
		}
	})
}

// queryRoutes are the routes that read path ids and query parameters.
var queryRoutes = []string{
	"/api/rooms/{id}/messages", "/api/conversations/{id}/messages", "/api/users", "/api/users/search",
	"/api/rooms", "/api/users/me/rooms", "/api/rooms/{id}/members", "/api/users/{id}",
	"/api/users/username/{id}", "/api/ws/rooms/{id}/online", "/api/rooms/{id}", "/api/conversations",
	"/api/rooms/{id}/reads",
}

// Any path id and query string on every route that reads them: never a 5xx,
// errors in the contract's shape, pages bounded, ids that are not positive
// integers refused.
func FuzzRESTQueries(f *testing.F) {
	for i, q := range []string{
		"limit=50", "limit=10&before_id=5", "after_id=0", "after_id=1&limit=1", "skip=9223372036854775807&limit=9223372036854775807",
		"limit=-1", "limit=1e3", "before_id=abc", "q=fuz", "query=%", "q=%25_%5C", "query=' OR 1=1 --", "limit=%00",
		"skip=1&skip=2", "%zz", "q=" + strings.Repeat("a", 300), "limit=+5", "limit= 5",
	} {
		f.Add(uint8(i), "{room}", q)
	}
	for i, id := range []string{"0", "-1", "abc", "1.5", "99999999999999999999", "%2e%2e", "1/..", "", "+1", "fuzzer", "🙂"} {
		f.Add(uint8(i), id, "")
	}
	s := newFuzzServer(f)
	f.Fuzz(func(t *testing.T, routeIndex uint8, id, query string) {
		route := queryRoutes[int(routeIndex)%len(queryRoutes)]
		if id == "{room}" {
			id = strconv.FormatInt(s.roomID, 10)
		}
		path := strings.ReplaceAll(route, "{id}", id)
		if strings.ContainsAny(path, "?#") || !utf8.ValidString(path) {
			return // not a path a client can send
		}
		target := path
		if query != "" {
			target += "?" + query
		}
		status, answer := s.do("GET", target, s.token, "", nil)
		checkAnswer(t, "GET "+strconv.Quote(target), status, answer)
		if status == http.StatusOK && strings.HasSuffix(path, "/messages") {
			var page []json.RawMessage
			if err := json.Unmarshal(answer, &page); err != nil || len(page) > 500 {
				t.Fatalf("GET %q: page of %d (%v)", target, len(page), err)
			}
		}
		// (An empty id or one with a slash is another route: /api/rooms/ is the list.)
		if strings.Contains(route, "/rooms/{id}") && status < 300 && id != "" && !strings.Contains(id, "/") {
			if n, err := strconv.ParseInt(id, 10, 64); err != nil || n <= 0 {
				t.Fatalf("GET %q: room id %q accepted (%d)", target, id, status)
			}
		}
	})
}
