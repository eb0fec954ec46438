package models_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"gorm.io/gorm"

	"github.com/izpochat/server/auth"
	"github.com/izpochat/server/chat"
	"github.com/izpochat/server/config"
	"github.com/izpochat/server/handlers"
	"github.com/izpochat/server/internal/testdb"
	"github.com/izpochat/server/models"
)

var takeoverSecret = []byte("the-flask-jwt-secret")

// layFlaskDatabase creates the schema the Flask app created, with its rows.
func layFlaskDatabase(t *testing.T, db *gorm.DB, driver string) {
	t.Helper()
	for _, file := range []string{"testdata/flask_schema_" + driver + ".sql", "testdata/flask_rows.sql"} {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, stmt := range strings.Split(string(raw), ";\n") {
			if isOnlyComments(stmt) {
				continue
			}
			if err := db.Exec(stmt).Error; err != nil {
				t.Fatalf("%s: %v\n%s", file, err, stmt)
			}
		}
	}
	if driver == config.DriverPostgres {
		// The Flask app inserted through the sequences; the rows above name their ids.
		for _, table := range []string{"users", "rooms", "messages", "file_uploads"} {
			if err := db.Exec(fmt.Sprintf("SELECT setval(pg_get_serial_sequence('%s', 'id'), (SELECT MAX(id) FROM %s))", table, table)).Error; err != nil {
				t.Fatalf("advance %s sequence: %v", table, err)
			}
		}
	}
}

func isOnlyComments(stmt string) bool {
	for _, line := range strings.Split(stmt, "\n") {
		if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "--") {
			return false
		}
	}
	return true
}

// columnInfo is one column as the database describes it.
type columnInfo struct {
	Table, Column, Type, Nullable string
	Length                        *int
	Default                       *string
}

func columns(t *testing.T, db *gorm.DB, driver string) map[string]columnInfo {
	t.Helper()
	out := map[string]columnInfo{}
	if driver == config.DriverPostgres {
		var rows []columnInfo
		err := db.Raw(`SELECT table_name AS "table", column_name AS "column", data_type AS "type", is_nullable AS nullable,
			character_maximum_length AS length, column_default AS "default"
			FROM information_schema.columns WHERE table_schema = current_schema()`).Scan(&rows).Error
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			out[r.Table+"."+r.Column] = r
		}
		return out
	}
	for _, table := range []string{"users", "rooms", "room_members", "messages", "file_uploads"} {
		var rows []struct {
			Name    string
			Type    string
			NotNull int
			Dflt    *string `gorm:"column:dflt_value"`
		}
		if err := db.Raw("SELECT name, type, \"notnull\" AS not_null, dflt_value FROM pragma_table_info(?)", table).Scan(&rows).Error; err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			out[table+"."+r.Name] = columnInfo{Table: table, Column: r.Name, Type: r.Type, Nullable: fmt.Sprint(r.NotNull == 0), Default: r.Dflt}
		}
	}
	return out
}

func TestTakeOverFlaskDatabase(t *testing.T) {
	for _, driver := range testdb.Drivers() {
		t.Run(driver, func(t *testing.T) {
			ctx := context.Background()
			db := testdb.OpenEmpty(t, testdb.Config(t, driver))
			layFlaskDatabase(t, db, driver)
			before := columns(t, db, driver)

			if err := models.Migrate(ctx, db); err != nil {
				t.Fatalf("migrate the Flask database: %v", err)
			}
			// Running it again changes nothing and does not fail.
			if err := models.Migrate(ctx, db); err != nil {
				t.Fatalf("migrate twice: %v", err)
			}
			after := columns(t, db, driver)
			for key, col := range before {
				got, ok := after[key]
				if !ok {
					t.Fatalf("column %s was removed", key)
				}
				if fmt.Sprint(got.Type, got.Nullable, deref(got.Length), derefS(got.Default)) !=
					fmt.Sprint(col.Type, col.Nullable, deref(col.Length), derefS(col.Default)) {
					t.Fatalf("column %s was altered: %+v -> %+v", key, col, got)
				}
			}
			for _, added := range []string{"rooms.dm_key", "messages.file_id"} {
				if _, ok := after[added]; !ok {
					t.Fatalf("new column %s was not added (columns: %v)", added, slices.Sorted(mapKeys(after)))
				}
				if after[added].Nullable != "YES" && after[added].Nullable != "true" {
					t.Fatalf("new column %s must be nullable: %+v", added, after[added])
				}
			}
			if !db.Migrator().HasIndex(&models.Message{}, "messages_room_id_id_idx") {
				t.Fatal("the history index messages(room_id, id) was not built")
			}
			if !db.Migrator().HasIndex(&models.Message{}, "ix_messages_created_at") {
				t.Fatal("the Flask index ix_messages_created_at is gone")
			}

			checkStoreReadsOldRows(t, models.NewStore(db))
			checkRESTServesOldRows(t, db)
		})
	}
}

func checkStoreReadsOldRows(t *testing.T, store *models.Store) {
	t.Helper()
	ctx := context.Background()
	sven, err := store.UserByID(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if sven.Username != "sven" || sven.FullName != nil || !sven.CreatedAt.Equal(time.Date(2024, 3, 2, 8, 0, 0, 0, time.UTC)) {
		t.Fatalf("old user = %+v", sven)
	}
	room, err := store.RoomByID(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if room.Name != "Olga & Sven" || !room.IsPrivate || room.Description != nil || room.DMKey != nil || room.Creator == nil || room.Creator.Username != "olga" {
		t.Fatalf("old room = %+v", room)
	}
	legacy, err := store.RoomByID(ctx, 3)
	if err != nil {
		t.Fatalf("a room with is_private NULL: %v", err)
	}
	if legacy.IsPrivate {
		t.Fatal("is_private NULL must read as public (false)")
	}
	rows, err := store.History(ctx, 1, models.HistoryQuery{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Content != "hola a todos" || rows[1].Username != "sven" || rows[1].SenderFullName != nil ||
		!rows[0].CreatedAt.Equal(time.Date(2024, 3, 1, 11, 5, 0, 1000, time.UTC)) {
		t.Fatalf("old history = %+v", rows)
	}
	f, err := store.FileByID(ctx, 2)
	if err != nil || f.RoomID != nil || f.OriginalFilename != "notes.txt" {
		t.Fatalf("old file = %+v, %v", f, err)
	}
}

// checkRESTServesOldRows runs the real REST door over the taken-over database.
func checkRESTServesOldRows(t *testing.T, db *gorm.DB) {
	t.Helper()
	tokens := auth.NewTokens(takeoverSecret, time.Hour)
	service := chat.New(chat.Deps{Store: models.NewStore(db), Tokens: tokens})
	srv := httptest.NewServer(handlers.NewServer(handlers.Deps{Chat: service}))
	defer srv.Close()
	call := func(method, path, token string, body any) (int, []byte) {
		t.Helper()
		var rd io.Reader
		if body != nil {
			raw, _ := json.Marshal(body)
			rd = bytes.NewReader(raw)
		}
		req, _ := http.NewRequest(method, srv.URL+path, rd)
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		out, _ := io.ReadAll(res.Body)
		return res.StatusCode, out
	}
	decode := func(raw []byte, into any) {
		t.Helper()
		if err := json.Unmarshal(raw, into); err != nil {
			t.Fatalf("decode %s: %v", raw, err)
		}
	}

	// Old passwords log in (pbkdf2 and scrypt), and the hash becomes bcrypt.
	for _, login := range []struct{ user, password string }{{"olga", "old-pbkdf2-pass"}, {"sven", "old-scrypt-pass"}} {
		status, body := call("POST", "/api/login", "", map[string]any{"username": login.user, "password": login.password})
		if status != http.StatusOK {
			t.Fatalf("login %s with the old password: %d %s", login.user, status, body)
		}
		var hash string
		if err := db.Raw("SELECT password_hash FROM users WHERE username = ?", login.user).Scan(&hash).Error; err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(hash, "$2") {
			t.Fatalf("%s's hash was not upgraded to bcrypt: %q", login.user, hash)
		}
		// And the password still works against the upgraded hash; a wrong one does not.
		if status, _ := call("POST", "/api/login", "", map[string]any{"username": login.user, "password": login.password}); status != http.StatusOK {
			t.Fatalf("login %s after the upgrade: %d", login.user, status)
		}
		if status, _ := call("POST", "/api/login", "", map[string]any{"username": login.user, "password": "wrong-one"}); status != http.StatusUnauthorized {
			t.Fatalf("login %s with a wrong password: %d", login.user, status)
		}
	}

	// A token minted by Flask-JWT-Extended (sub as int) works.
	now := time.Now()
	flaskToken, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": 2, "type": "access", "jti": "7c1d", "fresh": false,
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}).SignedString(takeoverSecret)
	if err != nil {
		t.Fatal(err)
	}
	status, body := call("GET", "/api/users/me", flaskToken, nil)
	var me map[string]any
	decode(body, &me)
	if status != http.StatusOK || me["username"] != "sven" || me["full_name"] != "" || me["created_at"] != "2024-03-02T08:00:00.000000Z" {
		t.Fatalf("/api/users/me with a Flask token: %d %v", status, me)
	}

	status, body = call("GET", "/api/rooms/2/messages", flaskToken, nil)
	var msgs []map[string]any
	decode(body, &msgs)
	if status != http.StatusOK || len(msgs) != 2 || msgs[0]["file_url"] != "/uploads/abc_plan.pdf" || msgs[0]["file_id"] != nil ||
		msgs[1]["content"] != "just between us" || msgs[0]["created_at"] != "2024-03-02T12:01:00.000000Z" {
		t.Fatalf("old private messages: %d %s", status, body)
	}
	status, body = call("GET", "/api/rooms", flaskToken, nil)
	var rooms []map[string]any
	decode(body, &rooms)
	if status != http.StatusOK || len(rooms) != 3 {
		t.Fatalf("sven's rooms (General, the DM, Legacy): %d %s", status, body)
	}

	// tina is not in the old private room.
	tina, _ := tokens.Issue(3, "tina")
	if status, body := call("GET", "/api/rooms/2", tina, nil); status != http.StatusForbidden {
		t.Fatalf("an outsider reads an old private room: %d %s", status, body)
	}
	// Ids beyond the old INTEGER columns are a 404, not a database error.
	for _, path := range []string{"/api/rooms/2147483648", "/api/users/2147483648", "/api/rooms/9223372036854775807/messages"} {
		if status, body := call("GET", path, tina, nil); status != http.StatusNotFound {
			t.Fatalf("GET %s on INTEGER ids: %d %s", path, status, body)
		}
	}
	if status, body := call("POST", "/api/conversations", tina, map[string]any{"recipient_id": 2147483648}); status != http.StatusNotFound {
		t.Fatalf("conversation with a huge recipient id: %d %s", status, body)
	}
	if status, body := call("POST", "/api/rooms/1/messages", flaskToken, map[string]any{"content": "x", "file_id": 2147483648}); status != http.StatusNotFound {
		t.Fatalf("message with a huge file id: %d %s", status, body)
	}
	for path, want := range map[string]int{"/api/rooms/1/messages?before_id=99999999999": 2, "/api/rooms/1/messages?after_id=99999999999": 0} {
		status, body := call("GET", path, flaskToken, nil)
		var got []map[string]any
		decode(body, &got)
		if status != http.StatusOK || len(got) != want {
			t.Fatalf("GET %s on INTEGER ids: %d %s", path, status, body)
		}
	}
	hugeSub, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": 2147483648, "type": "access",
		"exp": now.Add(time.Hour).Unix()}).SignedString(takeoverSecret)
	if status, body := call("GET", "/api/users/me", hugeSub, nil); status != http.StatusUnauthorized {
		t.Fatalf("a token for a huge user id: %d %s", status, body)
	}

	// New rows go in next to the old ones.
	status, body = call("POST", "/api/register", "", map[string]any{"username": "newbie", "email": "newbie@example.com", "password": "secret1"})
	if status != http.StatusCreated {
		t.Fatalf("register after the takeover: %d %s", status, body)
	}
	status, body = call("POST", "/api/rooms/1/messages", flaskToken, map[string]any{"content": "new era"})
	if status != http.StatusCreated {
		t.Fatalf("post after the takeover: %d %s", status, body)
	}
	status, body = call("POST", "/api/conversations", tina, map[string]any{"recipient_id": 1})
	if status != http.StatusCreated {
		t.Fatalf("conversation after the takeover: %d %s", status, body)
	}
	status, body = call("GET", "/api/rooms/1/messages?after_id=1", flaskToken, nil)
	decode(body, &msgs)
	if status != http.StatusOK || len(msgs) != 2 || msgs[1]["content"] != "new era" {
		t.Fatalf("history mixing old and new rows: %d %s", status, body)
	}
	// Deleting an old room removes its memberships and messages (the Flask schema has
	// no cascade on messages).
	if status, body := call("DELETE", "/api/rooms/2", flaskToken, nil); status != http.StatusForbidden {
		t.Fatalf("delete by a non-creator: %d %s", status, body)
	}
	olga, _ := tokens.Issue(1, "olga")
	if status, body := call("DELETE", "/api/rooms/2", olga, nil); status != http.StatusOK {
		t.Fatalf("delete an old room: %d %s", status, body)
	}
}

func deref(p *int) int {
	if p == nil {
		return -1
	}
	return *p
}

func derefS(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

func mapKeys(m map[string]columnInfo) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
