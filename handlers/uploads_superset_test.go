package handlers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/izpochat/server/chat"
	"github.com/izpochat/server/internal/testdb"
	"github.com/izpochat/server/models"
	"github.com/izpochat/server/storage"
)

// fetched is a finished GET with its headers.
type fetched struct {
	status int
	header http.Header
	body   []byte
}

func (e *uploadEnv) get(path, token string) fetched {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return fetched{resp.StatusCode, resp.Header, raw}
}

// expectError checks the status and the contract's error shape.
func (f fetched) expectError(t *testing.T, what string, want int) {
	t.Helper()
	var e map[string]any
	if f.status != want || json.Unmarshal(f.body, &e) != nil || len(e) != 2 || e["error"] == nil || e["error"] != e["detail"] {
		t.Fatalf("%s: %d %s, want %d in the error shape", what, f.status, f.body, want)
	}
}

func (e *uploadEnv) mustUpload(path, token string, parts ...formPart) fileJSON {
	e.t.Helper()
	code, raw := e.upload(path, token, parts...)
	if code != http.StatusCreated {
		e.t.Fatalf("upload to %s: %d %s", path, code, raw)
	}
	return decode[fileJSON](e.t, raw)
}

// GET /api/uploads lists the caller's own files, newest first, narrowed by
// room_id to one room (a room holding none of them, or unknown, gives []).
func TestUploadsListIsTheCallersFiles(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		env := newUploadEnv(t, db, uploadEnvOptions{})
		ann, bob := env.user("ann"), env.user("bob")
		public, private := env.room(ann, "lobby", false), env.room(ann, "secret", true)
		inPublic := env.mustUpload("/api/upload", ann.token, fileP("file", "a.png", pngBytes), fieldP("room_id", fmt.Sprint(public)))
		inPrivate := env.mustUpload("/api/upload", ann.token, fileP("file", "b.pdf", pdfBytes), fieldP("room_id", fmt.Sprint(private)))
		loose := env.mustUpload("/api/uploads", ann.token, fileP("file", "c.txt", txtBytes))
		bobs := env.mustUpload("/api/upload", bob.token, fileP("file", "d.png", pngBytes), fieldP("room_id", fmt.Sprint(public)))

		idsOf := func(path string) []int64 {
			t.Helper()
			f := env.get(path, ann.token)
			if f.status != http.StatusOK {
				t.Fatalf("GET %s: %d %s", path, f.status, f.body)
			}
			var out []int64
			for _, x := range decode[[]fileJSON](t, f.body) {
				out = append(out, x.ID)
			}
			return out
		}
		all := []int64{loose.ID, inPrivate.ID, inPublic.ID}
		for path, want := range map[string][]int64{
			"/api/uploads":         all,
			"/api/uploads/":        all,
			"/api/uploads?limit=2": all[:2],
			fmt.Sprintf("/api/uploads/?room_id=%d", public): {inPublic.ID}, // not bob's file there
			fmt.Sprintf("/api/uploads?room_id=%d", private): {inPrivate.ID},
			"/api/uploads?room_id=999999":                   nil,
			fmt.Sprintf("/api/files?room_id=%d", public):    {inPublic.ID},
		} {
			if got := idsOf(path); !slices.Equal(got, want) {
				t.Errorf("GET %s = %v, want %v", path, got, want)
			}
		}
		if got := idsOf(fmt.Sprintf("/api/uploads?room_id=%d", public)); slices.Contains(got, bobs.ID) {
			t.Fatal("another user's file listed")
		}
		for _, q := range []string{"room_id=abc", "room_id=0", "room_id=-3", "limit=-1", "skip=x"} {
			env.get("/api/uploads?"+q, ann.token).expectError(t, "GET /api/uploads?"+q, http.StatusBadRequest)
		}
		env.get("/api/uploads", "").expectError(t, "no token", http.StatusUnauthorized)
	})
}

// The file's bytes at /api/uploads/{id}/download and /api/files/{stored name},
// under the read rule of its view: a private room's file only to its members
// (403 to others), a public room's to anyone, a file of no room only to its
// uploader; unknown ids and names 404.
func TestFileDownloadRoutes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		env := newUploadEnv(t, db, uploadEnvOptions{})
		ann, bob := env.user("ann"), env.user("bob")
		public, private := env.room(ann, "lobby", false), env.room(ann, "secret", true)
		secret := env.mustUpload("/api/upload", ann.token, fileP("file", "plan ñ.png", pngBytes), fieldP("room_id", fmt.Sprint(private)))
		open := env.mustUpload("/api/upload", ann.token, fileP("file", "notes.txt", txtBytes), fieldP("room_id", fmt.Sprint(public)))
		loose := env.mustUpload("/api/uploads", bob.token, fileP("file", "mine.pdf", pdfBytes))

		routes := func(f fileJSON) []string {
			return []string{fmt.Sprintf("/api/uploads/%d/download", f.ID), fmt.Sprintf("/api/uploads/%d/download/", f.ID), "/api/files/" + f.Filename}
		}
		expectBytes := func(who testUser, f fileJSON, want []byte, ct, disposition string) {
			t.Helper()
			for _, path := range routes(f) {
				got := env.get(path, who.token)
				if got.status != http.StatusOK || !bytes.Equal(got.body, want) {
					t.Fatalf("GET %s: %d, %d bytes, want the file's %d", path, got.status, len(got.body), len(want))
				}
				if got.header.Get("Content-Type") != ct || got.header.Get("X-Content-Type-Options") != "nosniff" ||
					!strings.HasPrefix(got.header.Get("Content-Disposition"), disposition) {
					t.Fatalf("GET %s: headers %v", path, got.header)
				}
			}
		}
		expectBytes(ann, secret, pngBytes, "image/png", "inline")
		expectBytes(ann, open, txtBytes, "text/plain; charset=utf-8", "attachment")
		expectBytes(bob, open, txtBytes, "text/plain; charset=utf-8", "attachment")
		expectBytes(bob, loose, pdfBytes, "application/pdf", "attachment")
		if d := env.get(routes(secret)[0], ann.token).header.Get("Content-Disposition"); !strings.Contains(d, "plan") {
			t.Fatalf("Content-Disposition %q does not name the file", d)
		}
		// Ranges work on local disk.
		req, _ := http.NewRequest(http.MethodGet, env.srv.URL+routes(secret)[0], nil)
		req.Header.Set("Authorization", "Bearer "+ann.token)
		req.Header.Set("Range", "bytes=0-7")
		if resp, err := env.srv.Client().Do(req); err != nil {
			t.Fatal(err)
		} else {
			part, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(part, pngBytes[:8]) {
				t.Fatalf("range: %d %q", resp.StatusCode, part)
			}
		}

		// A non-member of the private room is refused on both routes, and learns
		// nothing of the bytes.
		for _, path := range routes(secret) {
			got := env.get(path, bob.token)
			got.expectError(t, "bob GET "+path, http.StatusForbidden)
			if bytes.Contains(got.body, pngBytes[:8]) {
				t.Fatal("bytes leaked in the refusal")
			}
		}
		// A file of no room is its uploader's alone.
		for _, path := range routes(loose) {
			env.get(path, ann.token).expectError(t, "ann GET "+path, http.StatusNotFound)
		}
		for _, path := range routes(open) {
			env.get(path, "").expectError(t, "no token "+path, http.StatusUnauthorized)
		}
		for path, want := range map[string]int{
			"/api/uploads/999999/download":                             http.StatusNotFound,
			"/api/uploads/abc/download":                                http.StatusBadRequest,
			"/api/uploads/0/download":                                  http.StatusBadRequest,
			"/api/files/0123abcd-0000-4000-8000-000000000000_gone.png": http.StatusNotFound,
			"/api/files/not-a-stored-name.png":                         http.StatusNotFound,
			"/api/files/..%2F..%2Fetc%2Fpasswd":                        http.StatusNotFound,
			"/api/files/999999":                                        http.StatusNotFound, // a numeric id: the File view's 404
		} {
			env.get(path, ann.token).expectError(t, "GET "+path, want)
		}
		// The numeric form stays the File view.
		if got := env.get(fmt.Sprintf("/api/files/%d", open.ID), bob.token); got.status != http.StatusOK ||
			decode[fileJSON](t, got.body).Filename != open.Filename {
			t.Fatalf("GET /api/files/{id}: %d %s", got.status, got.body)
		}
		// Joining the room (public) or being let in changes nothing of the rule;
		// a deleted file is gone from both routes.
		if code, raw := env.do(http.MethodDelete, fmt.Sprintf("/api/uploads/%d", open.ID), ann.token, nil, ""); code != http.StatusOK {
			t.Fatalf("delete: %d %s", code, raw)
		}
		for _, path := range routes(open) {
			env.get(path, ann.token).expectError(t, "deleted "+path, http.StatusNotFound)
		}
		// A row whose object is gone: 404, not 500.
		if err := db.Exec("UPDATE file_uploads SET filename = ? WHERE id = ?", "0123abcd-0000-4000-8000-000000000001_x.png", secret.ID).Error; err != nil {
			t.Fatal(err)
		}
		env.get(fmt.Sprintf("/api/uploads/%d/download", secret.ID), ann.token).expectError(t, "object gone", http.StatusNotFound)
	})
}

// History items that carry a file have its file{} object, as live messages
// do: found by file_id, or for a message an older generation wrote (a file_url,
// no file_id) by the stored name in its URL. A private room's links are signed
// in file{} as in file_url.
func TestHistoryItemsCarryTheirFile(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		env := newUploadEnv(t, db, uploadEnvOptions{})
		ann := env.user("ann")
		public, private := env.room(ann, "lobby", false), env.room(ann, "secret", true)
		pub := env.mustUpload("/api/upload", ann.token, fileP("file", "a.png", pngBytes), fieldP("room_id", fmt.Sprint(public)))
		priv := env.mustUpload("/api/upload", ann.token, fileP("file", "b.png", pngBytes), fieldP("room_id", fmt.Sprint(private)))
		if _, err := env.svc.PostMessage(t.Context(), ann.actor, public, chat.PostInput{Content: "plain"}); err != nil {
			t.Fatal(err)
		}
		// As the Flask backend wrote a file message: its URL, no file_id.
		legacyURL := "/uploads/" + pub.Filename
		legacy := &models.Message{Content: "📎 Archivo: a.png", UserID: ann.actor.ID, RoomID: public, FileURL: &legacyURL, CreatedAt: chat.Now()}
		if err := models.NewStore(db).InsertMessage(t.Context(), legacy); err != nil {
			t.Fatal(err)
		}

		type item struct {
			ID      int64     `json:"id"`
			FileID  *int64    `json:"file_id"`
			FileURL *string   `json:"file_url"`
			File    *fileJSON `json:"file"`
		}
		history := func(room int64) []item {
			t.Helper()
			f := env.get(fmt.Sprintf("/api/rooms/%d/messages", room), ann.token)
			if f.status != http.StatusOK {
				t.Fatalf("history: %d %s", f.status, f.body)
			}
			return decode[[]item](t, f.body)
		}
		got := history(public)
		if len(got) != 3 {
			t.Fatalf("public history = %+v", got)
		}
		for i, m := range []item{got[0], got[2]} {
			if m.File == nil || m.File.ID != pub.ID || m.File.OriginalFilename != "a.png" || m.File.FileURL != pub.FileURL ||
				m.File.PublicURL != pub.FileURL || m.File.RoomID == nil || *m.File.RoomID != public || m.File.FileSize != int64(len(pngBytes)) {
				t.Fatalf("public item %d file = %+v", i, m.File)
			}
		}
		if got[1].File != nil {
			t.Fatalf("a message without a file has file %+v", got[1].File)
		}
		if raw := env.get(fmt.Sprintf("/api/rooms/%d/messages", public), ann.token).body; bytes.Count(raw, []byte(`"file":`)) != 2 {
			t.Fatalf("file keys in %s", raw)
		}
		p := history(private)
		if len(p) != 1 || p[0].File == nil || p[0].File.ID != priv.ID {
			t.Fatalf("private history = %+v", p)
		}
		if !strings.Contains(p[0].File.FileURL, "sig=") || p[0].File.FileURL != *p[0].FileURL || p[0].File.PublicURL != p[0].File.FileURL {
			t.Fatalf("private file{} links %q / %q, message file_url %q: want the same signed link", p[0].File.FileURL, p[0].File.PublicURL, *p[0].FileURL)
		}
		if got := env.get(p[0].File.FileURL, ""); got.status != http.StatusOK || !bytes.Equal(got.body, pngBytes) {
			t.Fatalf("the signed link of file{} reads %d", got.status)
		}
	})
}

// supabaseBytes is a Storage API that keeps what is uploaded and serves it
// back to the service key (GET /object/<bucket>/<key>), as Supabase does.
type supabaseBytes struct {
	mu      sync.Mutex
	objects map[string][]byte // by key
	reads   int
}

func (s *supabaseBytes) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer k" {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"statusCode":"401","error":"Unauthorized","message":"bad key"}`)
		return
	}
	key, ok := strings.CutPrefix(r.URL.Path, "/storage/v1/object/izpochat-bucket/")
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case ok && r.Method == http.MethodPost:
		s.objects[key] = body
		fmt.Fprint(w, `{"Key":"x"}`)
	case ok && r.Method == http.MethodGet:
		s.reads++
		b, found := s.objects[key]
		if !found {
			w.WriteHeader(http.StatusBadRequest) // what Supabase answers for a missing object
			fmt.Fprint(w, `{"statusCode":"404","error":"not_found","message":"Object not found"}`)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Last-Modified", time.Now().UTC().Format(http.TimeFormat))
		_, _ = w.Write(b)
	case r.Method == http.MethodDelete:
		var req struct{ Prefixes []string }
		_ = json.Unmarshal(body, &req)
		for _, p := range req.Prefixes {
			delete(s.objects, p)
		}
		fmt.Fprint(w, `[]`)
	default:
		http.NotFound(w, r)
	}
}

// With Supabase the download routes stream the object from the bucket (read
// with the service key), after the same access check: a refused reader causes
// no read of the bucket at all.
func TestFileDownloadFromSupabase(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		stub := &supabaseBytes{objects: map[string][]byte{}}
		srv := httptest.NewServer(stub)
		t.Cleanup(srv.Close)
		objects, err := storage.NewSupabase(storage.SupabaseConfig{URL: srv.URL, Key: "k", Bucket: "izpochat-bucket", Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		env := newUploadEnv(t, db, uploadEnvOptions{objects: objects})
		ann, bob := env.user("ann"), env.user("bob")
		private := env.room(ann, "secret", true)
		f := env.mustUpload("/api/upload", ann.token, fileP("file", "a.mp3", mp3Bytes), fieldP("room_id", fmt.Sprint(private)))
		for _, path := range []string{fmt.Sprintf("/api/uploads/%d/download", f.ID), "/api/files/" + f.Filename} {
			got := env.get(path, ann.token)
			if got.status != http.StatusOK || !bytes.Equal(got.body, mp3Bytes) || got.header.Get("Content-Type") != "audio/mpeg" ||
				got.header.Get("Content-Length") != fmt.Sprint(len(mp3Bytes)) {
				t.Fatalf("GET %s: %d %d bytes %v", path, got.status, len(got.body), got.header)
			}
		}
		stub.mu.Lock()
		reads := stub.reads
		stub.mu.Unlock()
		for _, path := range []string{fmt.Sprintf("/api/uploads/%d/download", f.ID), "/api/files/" + f.Filename} {
			env.get(path, bob.token).expectError(t, "bob GET "+path, http.StatusForbidden)
		}
		stub.mu.Lock()
		after := stub.reads
		delete(stub.objects, f.Filename) // gone from the bucket behind the server's back
		stub.mu.Unlock()
		if after != reads {
			t.Fatalf("a refused reader made %d bucket reads", after-reads)
		}
		env.get(fmt.Sprintf("/api/uploads/%d/download", f.ID), ann.token).expectError(t, "object gone", http.StatusNotFound)
	})
}
