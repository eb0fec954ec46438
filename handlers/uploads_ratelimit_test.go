package handlers

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/izpochat/server/chat"
	"github.com/izpochat/server/internal/testdb"
)

// Uploads are limited per user, before a byte is stored: 429 with Retry-After,
// nothing of the refused upload kept; another user still uploads. A file
// message an upload posts (room_id) also counts against the user's posting.
func TestUploadsAreRateLimitedPerUser(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		env := newUploadEnv(t, db, uploadEnvOptions{rates: chat.RateLimits{
			UploadPerUser: chat.Rule{Burst: 3, Per: time.Hour},
			PostPerUser:   chat.Rule{Burst: 2, Per: time.Hour},
		}})
		ann, bob := env.user("ann"), env.user("bob")
		for i := 0; i < 3; i++ {
			if code, raw := env.upload("/api/uploads", ann.token, fileP("file", "a.png", pngBytes)); code != http.StatusCreated {
				t.Fatalf("upload %d: %d %s", i+1, code, raw)
			}
		}
		rows, objects := env.fileRows(), len(env.storedObjects())
		req, ctype := multipartBody(t, fileP("file", "a.png", pngBytes))
		r, _ := http.NewRequest("POST", env.srv.URL+"/api/uploads", req)
		r.Header.Set("Content-Type", ctype)
		r.Header.Set("Authorization", "Bearer "+ann.token)
		res, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
			t.Fatalf("fourth upload: %d, Retry-After %q; want 429 with it", res.StatusCode, res.Header.Get("Retry-After"))
		}
		if env.fileRows() != rows || len(env.storedObjects()) != objects {
			t.Fatal("a refused upload left a row or an object")
		}

		// bob's uploads to a room post file messages: his posting budget (2) ends
		// the third, whose file is not kept.
		room := env.room(bob, "files", false)
		for i := 0; i < 2; i++ {
			if code, raw := env.upload("/api/upload", bob.token, fieldP("room_id", strconv.FormatInt(room, 10)), fileP("file", "b.png", pngBytes)); code != http.StatusCreated {
				t.Fatalf("bob's upload %d: %d %s", i+1, code, raw)
			}
		}
		if code, raw := env.upload("/api/upload", bob.token, fieldP("room_id", strconv.FormatInt(room, 10)), fileP("file", "b.png", pngBytes)); code != http.StatusTooManyRequests {
			t.Fatalf("bob's third file message: %d %s, want 429", code, raw)
		}
	})
}
