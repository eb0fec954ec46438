package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/izpochat/server/auth"
	"github.com/izpochat/server/chat"
	"github.com/izpochat/server/models"
	"github.com/izpochat/server/storage"
)

// uploadEnv is a whole HTTP server with uploads on local disk (or objects).
type uploadEnv struct {
	t     *testing.T
	svc   *chat.Service
	store *models.Store
	srv   *httptest.Server
	dir   string // local uploads folder ("" when objects is not local)
}

type uploadEnvOptions struct {
	maxFileBytes int64
	objects      storage.Store                      // nil: local disk
	wrapLocal    func(*storage.Local) storage.Store // with local disk: the store the uploads use over it (nil: itself)
	rates        chat.RateLimits
}

func newUploadEnv(t *testing.T, db *gorm.DB, o uploadEnvOptions) *uploadEnv {
	t.Helper()
	store := models.NewStore(db)
	svc := chat.New(chat.Deps{Store: store, Tokens: auth.NewTokens([]byte("upload-test-secret-0123456789abcdef"), time.Hour), RateLimits: o.rates,
		// As app.go runs it: pages showing signed links must not be kept.
		HistoryCache: chat.HistoryCacheBounds{Rooms: 100, Bytes: 1 << 20}})
	t.Cleanup(svc.Close)
	env := &uploadEnv{t: t, svc: svc, store: store}
	var serve LocalObjects
	objects := o.objects
	if objects == nil {
		env.dir = filepath.Join(t.TempDir(), "uploads")
		local, err := storage.NewLocal(env.dir, "/uploads", chat.ContentTypeOf)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { local.Close() })
		local.SetSigningSecret([]byte("upload-test-secret-0123456789abcdef"))
		objects, serve = local, local
		if o.wrapLocal != nil {
			objects = o.wrapLocal(local)
		}
	}
	if o.maxFileBytes == 0 {
		o.maxFileBytes = 1 << 20
	}
	uploads := chat.NewUploads(svc, objects, chat.UploadLimits{MaxFileBytes: o.maxFileBytes, MaxFiles: 10})
	h := NewServer(Deps{Chat: svc, Uploads: uploads, Objects: serve})
	env.srv = httptest.NewServer(h)
	t.Cleanup(env.srv.Close)
	return env
}

type testUser struct {
	token string
	actor chat.Actor
}

func (e *uploadEnv) user(name string) testUser {
	e.t.Helper()
	s, err := e.svc.Register(context.Background(), chat.RegisterInput{Username: name, Email: name + "@example.com", Password: "password123"})
	if err != nil {
		e.t.Fatal(err)
	}
	a, err := e.svc.Authenticate(context.Background(), "Bearer "+s.Token)
	if err != nil {
		e.t.Fatal(err)
	}
	return testUser{token: s.Token, actor: a}
}

func (e *uploadEnv) room(owner testUser, name string, private bool) int64 {
	e.t.Helper()
	r, err := e.svc.CreateRoom(context.Background(), owner.actor, chat.RoomInput{Name: &name, IsPrivate: &private})
	if err != nil {
		e.t.Fatal(err)
	}
	return r.ID
}

// formPart is one part of a multipart body: a file when filename is set.
type formPart struct {
	field, filename string
	body            []byte
}

func fileP(field, filename string, body []byte) formPart { return formPart{field, filename, body} }
func fieldP(field, value string) formPart                { return formPart{field: field, body: []byte(value)} }

func multipartBody(t *testing.T, parts ...formPart) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		if p.filename != "" {
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, p.field, p.filename))
			h.Set("Content-Type", "image/png") // what a lying client says; never trusted
		} else {
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q`, p.field))
		}
		pw, err := w.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		pw.Write(p.body)
	}
	w.Close()
	return &buf, w.FormDataContentType()
}

func (e *uploadEnv) do(method, path, token string, body io.Reader, contentType string) (int, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}

func (e *uploadEnv) upload(path, token string, parts ...formPart) (int, []byte) {
	e.t.Helper()
	body, ct := multipartBody(e.t, parts...)
	return e.do(http.MethodPost, path, token, body, ct)
}

func decode[T any](t *testing.T, raw []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return v
}

// storedObjects lists the local uploads folder.
func (e *uploadEnv) storedObjects() []string {
	e.t.Helper()
	entries, err := os.ReadDir(e.dir)
	if err != nil {
		e.t.Fatal(err)
	}
	var names []string
	for _, en := range entries {
		names = append(names, en.Name())
	}
	return names
}

func (e *uploadEnv) fileRows() int64 {
	e.t.Helper()
	var n int64
	if err := e.store.DB().Model(&models.FileUpload{}).Count(&n).Error; err != nil {
		e.t.Fatal(err)
	}
	return n
}

// Sample contents of a few types.
var (
	pngBytes = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte{7}, 3000)...)
	pdfBytes = []byte("%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n")
	mp3Bytes = append([]byte("ID3\x04\x00\x00\x00\x00\x00\x00"), bytes.Repeat([]byte{0xff, 0xfb, 0x90, 0x00}, 500)...)
	txtBytes = []byte("hola, mundo\nsegunda línea\n")
	elfBytes = append([]byte("\x7fELF\x02\x01\x01\x00"), bytes.Repeat([]byte{0}, 100)...)
	peBytes  = append([]byte("MZ\x90\x00\x03\x00"), bytes.Repeat([]byte{0}, 100)...)
)

// streamBody is a multipart body generated while it is read: size bytes of a
// file that starts like a PNG, never held in memory.
type streamBody struct {
	*io.PipeReader
	contentType string
}

func streamedUpload(t *testing.T, filename string, size int64, extra ...formPart) (*streamBody, func() int64) {
	t.Helper()
	pr, pw := io.Pipe()
	w := multipart.NewWriter(pw)
	var written atomic.Int64
	go func() {
		for _, p := range extra {
			w.WriteField(p.field, string(p.body))
		}
		fw, err := w.CreateFormFile("file", filename)
		if err != nil {
			pw.CloseWithError(err)
			return
		}
		chunk := bytes.Repeat([]byte{1}, 32<<10)
		n, err := fw.Write(pngBytes)
		written.Add(int64(n))
		for left := size - int64(n); left > 0 && err == nil; left -= int64(n) {
			n, err = fw.Write(chunk[:min(int64(len(chunk)), left)])
			written.Add(int64(n))
		}
		if err == nil {
			err = w.Close()
		}
		pw.CloseWithError(err)
	}()
	t.Cleanup(func() { pr.Close() })
	return &streamBody{PipeReader: pr, contentType: w.FormDataContentType()}, func() int64 { return written.Load() }
}

// fileJSON is a File as a client decodes it.
type fileJSON struct {
	ID               int64  `json:"id"`
	Filename         string `json:"filename"`
	OriginalFilename string `json:"original_filename"`
	FileSize         int64  `json:"file_size"`
	ContentType      string `json:"content_type"`
	FileURL          string `json:"file_url"`
	PublicURL        string `json:"public_url"`
	UserID           int64  `json:"user_id"`
	RoomID           *int64 `json:"room_id"`
	CreatedAt        string `json:"created_at"`
}

// uploadKinds are the file types the concurrent upload tests mix.
var uploadKinds = []struct {
	name, ct string
	body     []byte
}{
	{"a.png", "image/png", pngBytes}, {"b.pdf", "application/pdf", pdfBytes},
	{"c.mp3", "audio/mpeg", mp3Bytes}, {"d.txt", "text/plain; charset=utf-8", txtBytes},
}

// uploadConcurrently posts n files at once to /api/uploads as token, file i
// of kind uploadKinds[i%len(uploadKinds)], and returns the answers in order.
func (e *uploadEnv) uploadConcurrently(t *testing.T, token string, n int) []fileJSON {
	t.Helper()
	var wg sync.WaitGroup
	files := make([]fileJSON, n)
	for i := range files {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k := uploadKinds[i%len(uploadKinds)]
			body, ct := multipartBody(t, fileP("file", fmt.Sprintf("%d_%s", i, k.name), k.body))
			req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/api/uploads", body)
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", ct)
			resp, err := e.srv.Client().Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != 201 {
				t.Errorf("upload %d: %d %s", i, resp.StatusCode, raw)
				return
			}
			files[i] = decode[fileJSON](t, raw)
		}()
	}
	wg.Wait()
	return files
}
