package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/izpochat/server/internal/testkit"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/izpochat/server/internal/fakegcs"
	"github.com/izpochat/server/internal/fakes3"
	"github.com/izpochat/server/internal/testdb"
	"github.com/izpochat/server/storage"
)

// blobBackend is one storage backend under the upload suite: local disk, the
// Supabase stub, fake-gcs-server or gofakes3, each a real server on loopback.
type blobBackend struct {
	name string
	// start builds an upload server over the backend, whose calls time out after timeout.
	start func(t *testing.T, timeout time.Duration) *blobEnv
}

// blobEnv is an upload server and a look at what its backend holds.
type blobEnv struct {
	*uploadEnv
	keys       func() []string                                    // stored objects
	object     func(key string) (body []byte, ct string, ok bool) // one stored object
	fail       func(status int)                                   // answer later writes with status
	hang       func(release chan struct{})                        // make later writes wait
	publicURL  func(key string) string                            // the file_url of a public room's file
	signMark   string                                             // what a signed link of this backend carries
	openParts  func() int                                         // multipart uploads left open (nil: none exist)
	remoteRead bool                                               // file URLs are the backend's own, read from it directly
	name       string
	limit      int64 // MAX_FILE_MB of the server (0: the env's 1 MiB)
}

// get reads a file URL the way a browser would.
func (b *blobEnv) get(u string) (int, []byte) {
	b.t.Helper()
	if !b.remoteRead {
		return b.fetch(u)
	}
	resp, err := http.Get(u)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}

var blobBackends = []blobBackend{
	{"local", func(t *testing.T, _ time.Duration) *blobEnv {
		env := newUploadEnv(t, testdb.Open(t, "sqlite"), uploadEnvOptions{})
		b := &blobEnv{uploadEnv: env, signMark: "sig=", publicURL: func(k string) string { return "/uploads/" + k }}
		b.keys = env.storedObjects
		b.object = func(k string) ([]byte, string, bool) {
			body, err := os.ReadFile(filepath.Join(env.dir, k))
			return body, "", err == nil
		}
		return b
	}},
	{"supabase", startSupabaseBackend},
	{"gcs", func(t *testing.T, timeout time.Duration) *blobEnv {
		fake := fakegcs.Start(t, "izpochat-files")
		objects, err := storage.NewGCS(context.Background(), storage.GCSConfig{Bucket: fake.Bucket, CredentialsFile: fake.CredentialsFile, Endpoint: fake.URL, Timeout: timeout})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { objects.Close() })
		return &blobEnv{
			uploadEnv: newUploadEnv(t, testdb.Open(t, "sqlite"), uploadEnvOptions{objects: objects}),
			keys:      fake.Keys,
			object: func(k string) ([]byte, string, bool) {
				o, ok := fake.Object(k)
				return o.Content, o.ContentType, ok
			},
			fail: fake.Fail, hang: fake.Hang, signMark: "X-Goog-Signature=", remoteRead: true,
			publicURL: func(k string) string { return fake.URL + "/izpochat-files/" + k },
		}
	}},
	{"s3", func(t *testing.T, timeout time.Duration) *blobEnv {
		fake := fakes3.Start(t, "izpochat-files")
		fake.PublicRead(true)
		objects, err := storage.NewS3(storage.S3Config{Bucket: fake.Bucket, Endpoint: fake.URL, Region: fakes3.Region, AccessKeyID: fakes3.AccessKeyID,
			SecretAccessKey: fakes3.SecretAccessKey, ForcePathStyle: true, Timeout: timeout})
		if err != nil {
			t.Fatal(err)
		}
		return &blobEnv{
			uploadEnv: newUploadEnv(t, testdb.Open(t, "sqlite"), uploadEnvOptions{objects: objects, maxFileBytes: 12 << 20}),
			keys:      fake.Keys,
			object: func(k string) ([]byte, string, bool) {
				body, meta, ok := fake.Object(k)
				return body, meta["Content-Type"], ok
			},
			fail: fake.Fail, hang: fake.Hang, signMark: "X-Amz-Signature=", remoteRead: true, openParts: fake.OpenUploads,
			limit:     12 << 20, // past a 5 MiB part: the refused file was a multipart upload
			publicURL: func(k string) string { return fake.URL + "/izpochat-files/" + k },
		}
	}},
}

// startSupabaseBackend runs the kit's fake Supabase (testkit.FakeSupabase) behind
// a thin layer that keeps what was stored and honours deletes, so the suite can
// look at the bucket.
func startSupabaseBackend(t *testing.T, timeout time.Duration) *blobEnv {
	stub := testkit.StartFakeSupabase(t) // its own server is not used: requests come through srv
	var mu sync.Mutex
	bodies := map[string][]byte{} // by key
	var status int
	var hang chan struct{}
	const prefix = "/storage/v1/object/izpochat-bucket/"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodDelete && r.URL.Path == "/storage/v1/object/izpochat-bucket":
			var req struct{ Prefixes []string }
			_ = json.NewDecoder(r.Body).Decode(&req)
			mu.Lock()
			for _, k := range req.Prefixes {
				delete(bodies, k)
			}
			mu.Unlock()
			fmt.Fprint(w, `[]`)
		case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, prefix):
			body, err := io.ReadAll(r.Body)
			if err != nil { // the client gave up mid-body: Supabase stores nothing
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			rec := httptest.NewRecorder()
			stub.ServeHTTP(rec, r)
			mu.Lock()
			refused := status != 0 || hang != nil
			mu.Unlock()
			if rec.Code == http.StatusOK && !refused {
				mu.Lock()
				bodies[strings.TrimPrefix(r.URL.Path, prefix)] = body
				mu.Unlock()
			}
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			w.Write(rec.Body.Bytes())
		default:
			stub.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	objects, err := storage.NewSupabase(storage.SupabaseConfig{URL: srv.URL, Key: testkit.SupabaseKey, Bucket: "izpochat-bucket", Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	return &blobEnv{
		uploadEnv: newUploadEnv(t, testdb.Open(t, "sqlite"), uploadEnvOptions{objects: objects}),
		keys: func() []string {
			mu.Lock()
			defer mu.Unlock()
			var keys []string
			for k := range bodies {
				keys = append(keys, k)
			}
			return keys
		},
		object: func(k string) ([]byte, string, bool) {
			mu.Lock()
			b, ok := bodies[k]
			mu.Unlock()
			o, _ := stub.Object("izpochat-bucket/" + k)
			return b, o.ContentType, ok
		},
		// Set between requests, as the kit's fault fields are.
		fail:      func(s int) { mu.Lock(); status = s; stub.Status = s; mu.Unlock() },
		hang:      func(c chan struct{}) { mu.Lock(); hang = c; stub.Hang = c; mu.Unlock() },
		signMark:  "token=",
		publicURL: func(k string) string { return srv.URL + "/storage/v1/object/public/izpochat-bucket/" + k },
	}
}

// eachBackend runs the scenario once per storage backend.
func eachBackend(t *testing.T, timeout time.Duration, scenario func(t *testing.T, b *blobEnv)) {
	for _, backend := range blobBackends {
		t.Run(backend.name, func(t *testing.T) {
			b := backend.start(t, timeout)
			b.name = backend.name
			scenario(t, b)
		})
	}
}

// A public room's upload lands in the backend with its sniffed type, is shown
// at the backend's public URL (which reads it), and deleting it removes the object.
func TestUploadBackendsStoreServeAndDelete(t *testing.T) {
	eachBackend(t, 10*time.Second, func(t *testing.T, b *blobEnv) {
		ann, bob := b.user("ann"), b.user("bob")
		room := b.room(ann, "lobby", false)
		code, raw := b.upload("/api/upload", ann.token, fileP("file", "mi gato.png", pngBytes), fieldP("room_id", fmt.Sprint(room)))
		if code != http.StatusCreated {
			t.Fatalf("upload: %d %s", code, raw)
		}
		up := decode[fileJSON](t, raw)
		if up.FileURL != b.publicURL(up.Filename) || up.PublicURL != up.FileURL || up.ContentType != "image/png" || up.FileSize != int64(len(pngBytes)) {
			t.Fatalf("answer %s, want file_url %s", raw, b.publicURL(up.Filename))
		}
		body, ct, ok := b.object(up.Filename)
		if !ok || !bytes.Equal(body, pngBytes) || (ct != "" && ct != "image/png") {
			t.Fatalf("stored %v as %q, %d bytes", ok, ct, len(body))
		}
		if b.name != "supabase" { // the stub serves no reads
			if code, got := b.get(up.FileURL); code != 200 || !bytes.Equal(got, pngBytes) {
				t.Fatalf("reading file_url: %d, %d bytes", code, len(got))
			}
		}
		if code, _ := b.do(http.MethodDelete, fmt.Sprintf("/api/uploads/%d", up.ID), bob.token, nil, ""); code != http.StatusForbidden {
			t.Fatalf("bob deletes ann's file: %d", code)
		}
		if code, raw := b.do(http.MethodDelete, fmt.Sprintf("/api/uploads/%d", up.ID), ann.token, nil, ""); code != 200 {
			t.Fatalf("delete: %d %s", code, raw)
		}
		if keys := b.keys(); len(keys) != 0 || b.fileRows() != 0 {
			t.Fatalf("after delete: objects %v, %d rows", keys, b.fileRows())
		}
	})
}

// A private room's file is shown through the backend's signed link, in the
// upload answer and in history; the link reads the file.
func TestUploadBackendsSignPrivateRoomFiles(t *testing.T) {
	eachBackend(t, 10*time.Second, func(t *testing.T, b *blobEnv) {
		ann := b.user("ann")
		private := b.room(ann, "secret", true)
		code, raw := b.upload("/api/upload", ann.token, fileP("file", "plan.pdf", pdfBytes), fieldP("room_id", fmt.Sprint(private)))
		if code != http.StatusCreated {
			t.Fatalf("upload: %d %s", code, raw)
		}
		up := decode[fileJSON](t, raw)
		if !strings.Contains(up.FileURL, b.signMark) || up.PublicURL != up.FileURL || up.FileURL == b.publicURL(up.Filename) {
			t.Fatalf("private room's file_url %q, want a link with %s", up.FileURL, b.signMark)
		}
		code, raw = b.do(http.MethodGet, fmt.Sprintf("/api/rooms/%d/messages", private), ann.token, nil, "")
		if code != 200 || !strings.Contains(string(raw), b.signMark) {
			t.Fatalf("history: %d %s", code, raw)
		}
		if b.name != "supabase" {
			if code, got := b.get(up.FileURL); code != 200 || !bytes.Equal(got, pdfBytes) {
				t.Fatalf("signed link: %d %q", code, got)
			}
		}
	})
}

// A backend that refuses answers 502, one that does not answer 504 within the
// timeout; neither leaves a row.
func TestUploadBackendsFailuresAre502AndHangs504(t *testing.T) {
	eachBackend(t, 500*time.Millisecond, func(t *testing.T, b *blobEnv) {
		if b.fail == nil {
			t.Skip("local disk has no upstream to fail")
		}
		ann := b.user("ann")
		for _, status := range []int{403, 500} {
			b.fail(status)
			code, raw := b.upload("/api/upload", ann.token, fileP("file", "a.png", pngBytes))
			if code != http.StatusBadGateway || !strings.Contains(string(raw), "file storage failed") {
				t.Errorf("backend answers %d: %d %s", status, code, raw)
			}
		}
		b.fail(0)
		release := make(chan struct{})
		defer close(release)
		b.hang(release)
		start := time.Now()
		code, raw := b.upload("/api/upload", ann.token, fileP("file", "a.png", pngBytes))
		if code != http.StatusGatewayTimeout || !strings.Contains(string(raw), "did not answer in time") || time.Since(start) > 3*time.Second {
			t.Fatalf("hung backend: %d %s after %s", code, raw, time.Since(start))
		}
		if b.fileRows() != 0 || len(b.keys()) != 0 {
			t.Fatalf("rows %d, objects %v", b.fileRows(), b.keys())
		}
	})
}

// Twenty uploads at once each arrive with their own type and bytes.
func TestUploadBackendsConcurrentUploadsKeepTheirTypes(t *testing.T) {
	eachBackend(t, 20*time.Second, func(t *testing.T, b *blobEnv) {
		ann := b.user("ann")
		files := b.uploadConcurrently(t, ann.token, 20)
		for i, f := range files {
			k := uploadKinds[i%len(uploadKinds)]
			body, ct, ok := b.object(f.Filename)
			if !ok || !bytes.Equal(body, k.body) || (ct != "" && ct != k.ct) || f.ContentType != k.ct {
				t.Errorf("upload %d (%s): stored %v as %q with %d bytes", i, k.name, ok, ct, len(body))
			}
		}
		if n := len(b.keys()); n != 20 || b.fileRows() != 20 {
			t.Fatalf("%d objects, %d rows", n, b.fileRows())
		}
	})
}

// Files over the limit are refused while streaming (413), files of a refused
// type (415) before storing: nothing stays in the backend, no multipart upload
// is left open.
func TestUploadBackendsRefuseWhileStreaming(t *testing.T) {
	eachBackend(t, 10*time.Second, func(t *testing.T, b *blobEnv) {
		ann := b.user("ann")
		limit := max(b.limit, 1<<20)
		body, written := streamedUpload(t, "big.png", 200<<20)
		code, raw := b.do(http.MethodPost, "/api/upload", ann.token, body, body.contentType)
		if code != http.StatusRequestEntityTooLarge {
			t.Fatalf("over the limit: %d %s", code, raw)
		}
		if n := written(); n > limit+32<<20 {
			t.Fatalf("the client sent %d bytes before the 413 (limit %d)", n, limit)
		}
		for _, p := range []formPart{fileP("file", "setup.exe", peBytes), fileP("file", "cat.png", elfBytes)} {
			if code, raw := b.upload("/api/upload", ann.token, p); code != http.StatusUnsupportedMediaType {
				t.Fatalf("%s: %d %s", p.filename, code, raw)
			}
		}
		time.Sleep(50 * time.Millisecond)
		if keys := b.keys(); len(keys) != 0 || b.fileRows() != 0 {
			t.Fatalf("left objects %v, %d rows", keys, b.fileRows())
		}
		if b.openParts != nil && b.openParts() != 0 {
			t.Fatalf("%d multipart uploads left open", b.openParts())
		}
	})
}
