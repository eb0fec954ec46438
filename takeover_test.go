package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/izpochat/server/internal/testkit"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"gorm.io/gorm"

	"github.com/izpochat/server/config"
	"github.com/izpochat/server/internal/testdb"
)

const flaskSecret = "the-flask-jwt-secret"

// flaskUsers are the fixture's users (models/testdata/flask_*_rows.sql) with
// their old passwords: ana pbkdf2:sha256:600000, beto and dani scrypt, caro
// pbkdf2:sha256:260000.
var flaskUsers = []struct {
	id              int64
	username, email string
}{{1, "ana", "ana@example.com"}, {2, "beto", "beto@example.com"}, {3, "caro", "caro@example.com"}, {4, "dani", "dani@example.com"}}

// historyItem is the part of a history item the takeover checks.
type historyItem struct {
	Content   string  `json:"content"`
	Username  string  `json:"username"`
	CreatedAt string  `json:"created_at"`
	FileURL   *string `json:"file_url"` // in a want: what the URL contains
}

// generationWant is what each generation's users had, as this server must show it.
type generationWant struct {
	// roomsOf: the ids GET /api/rooms lists for each user (by id).
	roomsOf map[int64][]int64
	// createdBy: each room's created_by (0: null, unknown).
	createdBy map[int64]int64
	// history: one room's full history, oldest first, as user reader reads it.
	historyRoom, historyReader int64
	history                    []historyItem
	// conversations: the rooms GET /api/conversations lists for a user, and the
	// room POST /api/conversations answers for a pair (reused, 200).
	conversationsOf map[int64][]int64
	reused          [][3]int64 // caller, recipient, room
	// outsiders read private rooms: 403.
	outsiders [][2]int64 // user, room
	// nameMax: the widest room name the database takes.
	nameMax int
}

var flaskWants = map[string]generationWant{
	"f1": {
		roomsOf:     map[int64][]int64{4: {1, 2, 3}, 1: {1, 2, 3}},
		createdBy:   map[int64]int64{1: 1, 2: 2, 3: 3},
		historyRoom: 1, historyReader: 4,
		history: []historyItem{
			{Content: "Hola a todos", Username: "ana", CreatedAt: "2025-09-21T09:01:00.250000Z"},
			{Content: "Hola Ana", Username: "beto", CreatedAt: "2025-09-21T09:01:00.750000Z"},
			{Content: "📎 Archivo: plan.pdf", Username: "ana", CreatedAt: "2025-09-21T09:02:00.000000Z",
				FileURL: ptr("https://proj.supabase.co/storage/v1/object/public/uploads/5b1d2c1e-7a0f-4f55-9a55-0d6f3c2b9e11_plan.pdf")},
		},
		conversationsOf: map[int64][]int64{1: {}},
		nameMax:         100,
	},
	"f2": {
		// F2 made rooms private without members: creators and writers keep them.
		roomsOf:     map[int64][]int64{1: {1, 3, 4}, 2: {1, 2, 3}, 3: {2, 4}, 4: {5}},
		createdBy:   map[int64]int64{1: 1, 2: 2, 3: 1, 4: 3, 5: 4},
		historyRoom: 3, historyReader: 2,
		history: []historyItem{
			{Content: "hola beto", Username: "ana", CreatedAt: "2025-09-22T08:01:00.000000Z"},
			{Content: "hola ana", Username: "beto", CreatedAt: "2025-09-22T08:02:00.000000Z"},
			{Content: "📎 Archivo: foto.png", Username: "beto", CreatedAt: "2025-09-22T08:03:00.000000Z",
				// A private room's file is served by a signed link to the same object.
				FileURL: ptr("/uploads/0c9e6a52-1d3b-4d8e-b2c4-7f3e0a9d1b22_foto.png?exp=")},
		},
		conversationsOf: map[int64][]int64{1: {3, 4}, 2: {3}, 4: {}},
		reused:          [][3]int64{{1, 2, 3}, {2, 1, 3}, {1, 3, 4}},
		outsiders:       [][2]int64{{4, 1}, {4, 3}, {2, 4}},
		nameMax:         100,
	},
	"f3": {
		roomsOf:     map[int64][]int64{1: {1, 2, 3}, 2: {1, 3, 4}, 3: {2}, 4: {4}},
		createdBy:   map[int64]int64{1: 0, 2: 0, 3: 0, 4: 0},
		historyRoom: 1, historyReader: 2,
		history: []historyItem{
			{Content: "hola beto", Username: "ana", CreatedAt: "2025-09-26T11:01:00.100000Z"},
			{Content: "qué tal", Username: "beto", CreatedAt: "2025-09-26T11:01:00.900000Z"},
		},
		// Rooms 1 and 3 are one pair's (an old race): the older is the conversation.
		conversationsOf: map[int64][]int64{1: {1, 2}, 2: {1, 4}, 4: {4}},
		reused:          [][3]int64{{1, 2, 1}, {2, 1, 1}, {4, 2, 4}, {1, 3, 2}},
		outsiders:       [][2]int64{{3, 1}, {4, 2}, {3, 3}},
		nameMax:         150,
	},
}

func ptr[T any](v T) *T { return &v }

// TestTakeOverFlaskGenerations lays each real Flask schema generation with its
// rows, on SQLite and PostgreSQL, starts the whole server on it and uses it as
// the old users would.
func TestTakeOverFlaskGenerations(t *testing.T) {
	for _, gen := range testdb.FlaskGenerations {
		for _, driver := range testdb.Drivers() {
			t.Run(gen+"/"+driver, func(t *testing.T) {
				cfg, db := layFlask(t, driver, gen)
				before, rowsBefore := describeSchema(t, db, driver), countRows(t, db)
				base, stop, logs := startRun(t, map[string]string{"DATABASE_URL": databaseURL(cfg), "JWT_SECRET_KEY": flaskSecret})
				defer stop()
				checkNothingNarrowed(t, before, describeSchema(t, db, driver))
				for table, n := range countRows(t, db) {
					if n < rowsBefore[table] {
						t.Fatalf("%s lost rows in the takeover: %d -> %d", table, rowsBefore[table], n)
					}
				}
				c := &flaskClient{t: t, base: base, logs: logs}
				checkOldLogins(t, c)
				checkFlaskTokens(t, c)
				checkOldData(t, c, flaskWants[gen], false)
				checkNewRows(t, c, flaskWants[gen])
				if err := stop(); err != nil {
					t.Fatalf("stop: %v", err)
				}
				// A second start finds nothing to migrate and serves the same.
				base, stop2, logs := startRun(t, map[string]string{"DATABASE_URL": databaseURL(cfg), "JWT_SECRET_KEY": flaskSecret})
				defer stop2()
				c = &flaskClient{t: t, base: base, logs: logs}
				checkOldData(t, c, flaskWants[gen], true)
			})
		}
	}
}

func layFlask(t *testing.T, driver, gen string) (config.Database, *gorm.DB) {
	t.Helper()
	cfg := testdb.Config(t, driver)
	db := testdb.OpenEmpty(t, cfg)
	testdb.LayFlask(t, db, driver, gen)
	return cfg, db
}

func databaseURL(cfg config.Database) string {
	if cfg.Driver == config.DriverSQLite {
		return "sqlite:///" + cfg.Path // an absolute path: sqlite:////tmp/...
	}
	return cfg.DSN
}

type flaskClient struct {
	t    *testing.T
	base string
	logs *testkit.LockedBuffer
}

func (c *flaskClient) call(method, path, token string, body any, into any) int {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, c.base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 500 {
		c.t.Fatalf("%s %s: %d %s\n%s", method, path, res.StatusCode, raw, c.logs)
	}
	if into != nil {
		if err := json.Unmarshal(raw, into); err != nil {
			c.t.Fatalf("%s %s: %d, decode %s: %v", method, path, res.StatusCode, raw, err)
		}
	}
	return res.StatusCode
}

// token mints what Flask-JWT-Extended issued: create_access_token(identity=user.id).
func flaskToken(t *testing.T, sub any) string {
	t.Helper()
	now := time.Now()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"fresh": false, "iat": now.Unix(), "jti": "0b8e4d2c-3f1a-4c55-9d7e-6a2b1c0f9e88", "type": "access",
		"sub": sub, "nbf": now.Unix(), "exp": now.Add(7 * 24 * time.Hour).Unix(),
	}).SignedString([]byte(flaskSecret))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func tokenOf(t *testing.T, id int64) string { return flaskToken(t, id) }

func checkOldLogins(t *testing.T, c *flaskClient) {
	t.Helper()
	for _, u := range flaskUsers {
		password := u.username + "-old-pass"
		// By email, then by username: the second one checks the hash the first may have rewritten.
		for _, by := range []map[string]any{{"email": u.email}, {"username": u.username}, {"email": strings.ToUpper(u.email)}} {
			by["password"] = password
			var out map[string]any
			if status := c.call("POST", "/api/login", "", by, &out); status != http.StatusOK {
				t.Fatalf("%s logs in with the old password (%v): %d %v", u.username, by, status, out)
			}
			if user, _ := out["user"].(map[string]any); user == nil || user["username"] != u.username {
				t.Fatalf("login %v answered another user: %v", by, out)
			}
		}
		if status := c.call("POST", "/api/users/login", "", map[string]any{"username": u.username, "password": "not-it"}, nil); status != http.StatusUnauthorized {
			t.Fatalf("%s with a wrong password: %d", u.username, status)
		}
	}
}

func checkFlaskTokens(t *testing.T, c *flaskClient) {
	t.Helper()
	// Flask-JWT-Extended 4.6 wrote sub as the integer id; 4.7 as a string.
	for _, sub := range []any{2, "2"} {
		var me map[string]any
		if status := c.call("GET", "/api/users/me", flaskToken(t, sub), nil, &me); status != http.StatusOK || me["username"] != "beto" {
			t.Fatalf("/api/users/me with a Flask token (sub %#v): %d %v", sub, status, me)
		}
	}
}

func roomIDs(rooms []map[string]any) []int64 {
	ids := []int64{}
	for _, r := range rooms {
		ids = append(ids, int64(r["id"].(float64)))
	}
	slices.Sort(ids)
	return ids
}

// checkOldData checks the old rows as their users see them; restarted: after
// checkNewRows, whose rooms are listed too.
func checkOldData(t *testing.T, c *flaskClient, want generationWant, restarted bool) {
	t.Helper()
	seen := map[int64]map[string]any{}
	for user, ids := range want.roomsOf {
		var rooms []map[string]any
		if status := c.call("GET", "/api/rooms", tokenOf(t, user), nil, &rooms); status != http.StatusOK {
			t.Fatalf("GET /api/rooms as %d: %d", user, status)
		}
		got := roomIDs(rooms)
		if restarted {
			got = slices.DeleteFunc(got, func(id int64) bool { return !slices.Contains(ids, id) })
		}
		if !slices.Equal(got, ids) {
			t.Fatalf("user %d's rooms = %v, want %v", user, got, ids)
		}
		for _, r := range rooms {
			seen[int64(r["id"].(float64))] = r
		}
	}
	for id, creator := range want.createdBy {
		r := seen[id]
		if r == nil {
			t.Fatalf("room %d was listed to nobody", id)
		}
		if creator == 0 {
			if r["created_by"] != nil || r["creator"] != nil {
				t.Fatalf("room %d has no known creator, yet shows created_by %v creator %v", id, r["created_by"], r["creator"])
			}
			continue
		}
		if r["created_by"] != float64(creator) {
			t.Fatalf("room %d created_by = %v, want %d", id, r["created_by"], creator)
		}
		creatorView, _ := r["creator"].(map[string]any)
		if creatorView == nil || creatorView["id"] != float64(creator) {
			t.Fatalf("room %d creator = %v", id, r["creator"])
		}
	}
	var history []historyItem
	path := fmt.Sprintf("/api/rooms/%d/messages", want.historyRoom)
	if status := c.call("GET", path, tokenOf(t, want.historyReader), nil, &history); status != http.StatusOK {
		t.Fatalf("GET %s: %d", path, status)
	}
	if len(history) < len(want.history) {
		t.Fatalf("history of room %d = %+v, want %+v first", want.historyRoom, history, want.history)
	}
	for i, w := range want.history {
		got := history[i]
		if got.Content != w.Content || got.Username != w.Username || got.CreatedAt != w.CreatedAt ||
			(w.FileURL == nil) != (got.FileURL == nil) || !strings.Contains(derefString(got.FileURL), derefString(w.FileURL)) {
			t.Fatalf("history[%d] of room %d = %+v (file %s), want %+v (file %s)", i, want.historyRoom, got, derefString(got.FileURL), w, derefString(w.FileURL))
		}
	}
	for user, ids := range want.conversationsOf {
		var list []map[string]any
		if status := c.call("GET", "/api/conversations", tokenOf(t, user), nil, &list); status != http.StatusOK {
			t.Fatalf("GET /api/conversations as %d: %d", user, status)
		}
		got := []int64{}
		for _, conv := range list {
			got = append(got, int64(conv["room_id"].(float64)))
		}
		slices.Sort(got)
		if restarted {
			got = slices.DeleteFunc(got, func(id int64) bool { return !slices.Contains(ids, id) })
		}
		if !slices.Equal(got, ids) {
			t.Fatalf("user %d's conversations = %v, want %v", user, got, ids)
		}
	}
	for _, o := range want.outsiders {
		path := fmt.Sprintf("/api/rooms/%d/messages", o[1])
		if status := c.call("GET", path, tokenOf(t, o[0]), nil, nil); status != http.StatusForbidden {
			t.Fatalf("user %d reads private room %d: %d", o[0], o[1], status)
		}
	}
}

func derefString(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

func checkNewRows(t *testing.T, c *flaskClient, want generationWant) {
	t.Helper()
	// Old conversations are reused, never duplicated.
	for _, r := range want.reused {
		var out map[string]any
		status := c.call("POST", "/api/conversations", tokenOf(t, r[0]), map[string]any{"recipient_id": r[1]}, &out)
		if status != http.StatusOK || out["id"] != float64(r[2]) || out["is_private"] != true {
			t.Fatalf("conversation %d→%d: %d %v, want the old room %d", r[0], r[1], status, out, r[2])
		}
	}
	// A new conversation, and a new message in it.
	var conv map[string]any
	if status := c.call("POST", "/api/conversations", tokenOf(t, 3), map[string]any{"recipient_id": 4}, &conv); status != http.StatusCreated {
		t.Fatalf("a new conversation caro→dani: %d %v", status, conv)
	}
	convID := int64(conv["id"].(float64))
	var again map[string]any
	if status := c.call("POST", "/api/conversations", tokenOf(t, 4), map[string]any{"recipient_id": 3}, &again); status != http.StatusOK || again["id"] != conv["id"] {
		t.Fatalf("the new conversation reused: %d %v", status, again)
	}
	// Room names as wide as the column are taken; one wider is a clean 400.
	name := strings.Repeat("n", want.nameMax)
	var room map[string]any
	if status := c.call("POST", "/api/rooms", tokenOf(t, 1), map[string]any{"name": name}, &room); status != http.StatusCreated || room["name"] != name || room["created_by"] != float64(1) {
		t.Fatalf("a new room named %d characters: %d %v", want.nameMax, status, room)
	}
	var refusal map[string]any
	if status := c.call("POST", "/api/rooms", tokenOf(t, 1), map[string]any{"name": name + "x"}, &refusal); status != http.StatusBadRequest || refusal["error"] == nil {
		t.Fatalf("a room name of %d characters: %d %v", want.nameMax+1, status, refusal)
	}
	roomID := int64(room["id"].(float64))
	if status := c.call("PUT", fmt.Sprintf("/api/rooms/%d", roomID), tokenOf(t, 1), map[string]any{"name": name + "x"}, nil); status != http.StatusBadRequest {
		t.Fatalf("renaming to %d characters: %d", want.nameMax+1, status)
	}
	for _, post := range []struct {
		room, user int64
	}{{roomID, 1}, {convID, 4}, {want.historyRoom, want.historyReader}} {
		path := fmt.Sprintf("/api/rooms/%d/messages", post.room)
		content := fmt.Sprintf("nuevo %d en %d", post.user, post.room)
		if status := c.call("POST", path, tokenOf(t, post.user), map[string]any{"content": content}, nil); status != http.StatusCreated {
			t.Fatalf("post in room %d as %d: %d", post.room, post.user, status)
		}
		var history []historyItem
		c.call("GET", path, tokenOf(t, post.user), nil, &history)
		if len(history) == 0 || history[len(history)-1].Content != content {
			t.Fatalf("room %d's history does not end with the new message: %+v", post.room, history)
		}
	}
	// A new user registers next to the old ones and logs in.
	if status := c.call("POST", "/api/register", "", map[string]any{"username": "eva", "email": "eva@example.com", "password": "eva-new-pass"}, nil); status != http.StatusCreated {
		t.Fatalf("register after the takeover: %d", status)
	}
	if status := c.call("POST", "/api/login", "", map[string]any{"email": "eva@example.com", "password": "eva-new-pass"}, nil); status != http.StatusOK {
		t.Fatalf("login of a new user: %d", status)
	}
}
