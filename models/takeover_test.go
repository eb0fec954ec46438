package models_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"gorm.io/gorm"

	"github.com/izpochat/server/auth"
	"github.com/izpochat/server/chat"
	"github.com/izpochat/server/handlers"
	"github.com/izpochat/server/internal/testdb"
	"github.com/izpochat/server/models"
)

var takeoverSecret = []byte("the-flask-jwt-secret")

// What the baseline must have made of each generation's rooms: members and dm_key.
var takeoverRooms = map[string]map[int64]struct {
	members []int64
	dmKey   string // "": not a conversation
	creator int64  // 0: unknown
}{
	"f1": {1: {nil, "", 1}, 2: {nil, "", 2}},
	// F2's memberless private rooms get their creator and writers; its two-member ones are conversations.
	"f2": {1: {[]int64{1, 2}, "", 1}, 2: {[]int64{2, 3}, "", 2}, 3: {[]int64{1, 2}, "1:2", 1}, 4: {[]int64{1, 3}, "1:3", 3}, 5: {[]int64{4}, "", 4}},
	// F3 kept no creator; rooms 1 and 3 are one pair's (an old race): the older is the conversation.
	"f3": {1: {[]int64{1, 2}, "1:2", 0}, 2: {[]int64{1, 3}, "1:3", 0}, 3: {[]int64{1, 2}, "", 0}, 4: {[]int64{2, 4}, "2:4", 0}},
}

func TestTakeOverFlaskDatabase(t *testing.T) {
	for _, gen := range testdb.FlaskGenerations {
		for _, driver := range testdb.Drivers() {
			t.Run(gen+"/"+driver, func(t *testing.T) {
				ctx := context.Background()
				db := testdb.OpenEmpty(t, testdb.Config(t, driver))
				testdb.LayFlask(t, db, driver, gen)
				if err := models.Migrate(ctx, db); err != nil {
					t.Fatalf("migrate the %s database: %v", gen, err)
				}
				// Running it again changes nothing and does not fail.
				if err := models.Migrate(ctx, db); err != nil {
					t.Fatalf("migrate twice: %v", err)
				}
				for _, added := range []string{"rooms.dm_key", "messages.file_id", "rooms.created_by", "rooms.description", "rooms.is_private", "users.token_generation"} {
					table, column, _ := strings.Cut(added, ".")
					if !db.Migrator().HasColumn(table, column) {
						t.Fatalf("column %s is missing after the takeover", added)
					}
				}
				for _, idx := range []string{"messages_room_id_id_idx", "ix_messages_created_at", "rooms_dm_key_key"} {
					if !db.Migrator().HasIndex(&models.Message{}, idx) && !db.Migrator().HasIndex(&models.Room{}, idx) {
						t.Fatalf("index %s is missing", idx)
					}
				}
				if !db.Migrator().HasTable(&models.FileUpload{}) || !db.Migrator().HasTable(&models.FileDeletion{}) {
					t.Fatal("file tables are missing")
				}
				store := models.NewStore(db)
				for id, want := range takeoverRooms[gen] {
					room, err := store.RoomByID(ctx, id)
					if err != nil {
						t.Fatalf("room %d: %v", id, err)
					}
					if got := derefS(room.DMKey); (want.dmKey == "" && room.DMKey != nil) || (want.dmKey != "" && got != want.dmKey) {
						t.Fatalf("room %d dm_key = %q, want %q", id, got, want.dmKey)
					}
					if room.CreatedBy != want.creator || (want.creator == 0) != (room.Creator == nil) {
						t.Fatalf("room %d created_by = %d (creator %v), want %d", id, room.CreatedBy, room.Creator, want.creator)
					}
					members, err := store.MemberIDs(ctx, id)
					if err != nil {
						t.Fatal(err)
					}
					if !slices.Equal(members, want.members) && !(len(members) == 0 && len(want.members) == 0) {
						t.Fatalf("room %d members = %v, want %v", id, members, want.members)
					}
				}
				width, err := store.RoomNameWidth(ctx)
				if want := map[string]int{"f1": 100, "f2": 100, "f3": 150}[gen]; err != nil || width != want {
					t.Fatalf("rooms.name width = %d (%v), want %d", width, err, want)
				}
				checkOldIntegerIDs(t, db, gen)
			})
		}
	}
}

// checkOldIntegerIDs runs the real REST door over the taken-over database: ids
// beyond the old INTEGER columns are a 404, never a database error, and an old
// room is deleted with its rows by its creator only.
func checkOldIntegerIDs(t *testing.T, db *gorm.DB, gen string) {
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
	ana, _ := tokens.Issue(1, "ana")
	beto, _ := tokens.Issue(2, "beto")
	for _, path := range []string{"/api/rooms/2147483648", "/api/users/2147483648", "/api/rooms/9223372036854775807/messages"} {
		if status, body := call("GET", path, beto, nil); status != http.StatusNotFound {
			t.Fatalf("GET %s on INTEGER ids: %d %s", path, status, body)
		}
	}
	if status, body := call("POST", "/api/conversations", beto, map[string]any{"recipient_id": 2147483648}); status != http.StatusNotFound {
		t.Fatalf("conversation with a huge recipient id: %d %s", status, body)
	}
	if status, body := call("POST", "/api/rooms/1/messages", ana, map[string]any{"content": "x", "file_id": 2147483648}); status != http.StatusNotFound {
		t.Fatalf("message with a huge file id: %d %s", status, body)
	}
	hugeSub, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": 2147483648, "type": "access",
		"exp": time.Now().Add(time.Hour).Unix()}).SignedString(takeoverSecret)
	if status, body := call("GET", "/api/users/me", hugeSub, nil); status != http.StatusUnauthorized {
		t.Fatalf("a token for a huge user id: %d %s", status, body)
	}
	// Two 50-character usernames make a conversation name wider than F1/F2's
	// 100-character column: it is cut, never a database error.
	long := strings.Repeat("u", 50)
	if err := db.Exec("INSERT INTO users (id, username, email, password_hash, full_name, created_at) VALUES "+
		"(50, ?, 'long1@example.com', 'x', '', '2025-09-20 10:00:00.000000'), (51, ?, 'long2@example.com', 'x', '', '2025-09-20 10:00:00.000000')",
		long, long[:49]+"v").Error; err != nil {
		t.Fatal(err)
	}
	longTok, _ := tokens.Issue(50, long)
	status, body := call("POST", "/api/conversations", longTok, map[string]any{"recipient_id": 51})
	var conv struct{ Name string }
	_ = json.Unmarshal(body, &conv)
	if width := map[string]int{"f1": 100, "f2": 100, "f3": 150}[gen]; status != http.StatusCreated || conv.Name == "" || len([]rune(conv.Name)) > width {
		t.Fatalf("a conversation of two 50-character usernames: %d %s", status, body)
	}
	// Deleting an old room removes its memberships and messages (the Flask schemas
	// have no cascade on messages). F3 kept no creator: nobody may delete its rooms.
	if status, body := call("DELETE", "/api/rooms/1", beto, nil); status != http.StatusForbidden {
		t.Fatalf("delete by a non-creator: %d %s", status, body)
	}
	want := http.StatusOK
	if gen == "f3" {
		want = http.StatusForbidden
	}
	if status, body := call("DELETE", "/api/rooms/1", ana, nil); status != want {
		t.Fatalf("ana deletes old room 1: %d %s, want %d", status, body, want)
	}
}

func derefS(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}
