package handlers

import (
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/izpochat/server/internal/testdb"
	"github.com/izpochat/server/internal/testkit"
	"github.com/izpochat/server/storage"
)

// newSupabaseEnv is the upload server storing in the test kit's fake Supabase.
func newSupabaseEnv(t *testing.T, stub *testkit.FakeSupabase, timeout time.Duration) *uploadEnv {
	t.Helper()
	objects, err := storage.NewSupabase(storage.SupabaseConfig{URL: stub.URL, Key: testkit.SupabaseKey, Bucket: "izpochat-bucket", Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	return newUploadEnv(t, testdb.Open(t, "sqlite"), uploadEnvOptions{objects: objects})
}

func TestUploadSupabaseFailuresAre502(t *testing.T) {
	for _, status := range []int{400, 403, 500, 503} {
		stub := testkit.StartFakeSupabase(t)
		stub.Status = status
		env := newSupabaseEnv(t, stub, 5*time.Second)
		ann := env.user("ann")
		code, raw := env.upload("/api/upload", ann.token, fileP("file", "a.png", pngBytes))
		if code != http.StatusBadGateway || !strings.Contains(string(raw), "file storage failed") {
			t.Errorf("Supabase %d: answer %d %s", status, code, raw)
		}
		if env.fileRows() != 0 {
			t.Errorf("Supabase %d: a row was recorded", status)
		}
	}
}

func TestUploadSupabaseHangIs504WithinTheTimeout(t *testing.T) {
	stub := testkit.StartFakeSupabase(t)
	stub.Hang = make(chan struct{})
	defer close(stub.Hang)
	env := newSupabaseEnv(t, stub, 400*time.Millisecond)
	ann := env.user("ann")
	env.upload("/api/uploads/types/allowed", "") // warm up connections
	time.Sleep(50 * time.Millisecond)
	before := runtime.NumGoroutine()
	start := time.Now()
	code, raw := env.upload("/api/upload", ann.token, fileP("file", "a.png", pngBytes))
	took := time.Since(start)
	if code != http.StatusGatewayTimeout || !strings.Contains(string(raw), "did not answer in time") {
		t.Fatalf("answer %d %s", code, raw)
	}
	if took > 2*time.Second {
		t.Fatalf("answered after %s, timeout is 400ms", took)
	}
	if env.fileRows() != 0 {
		t.Fatal("a row was recorded")
	}
	after := runtime.NumGoroutine()
	for deadline := time.Now().Add(3 * time.Second); after > before && time.Now().Before(deadline); after = runtime.NumGoroutine() {
		time.Sleep(20 * time.Millisecond)
	}
	if after > before {
		t.Fatalf("goroutines: %d before, %d after", before, after)
	}
	t.Logf("504 after %s; goroutines %d before, %d after", took, before, after)
}

func TestUploadSupabaseConcurrentUploadsKeepTheirTypes(t *testing.T) {
	stub := testkit.StartFakeSupabase(t)
	env := newSupabaseEnv(t, stub, 10*time.Second)
	ann := env.user("ann")
	results := env.uploadConcurrently(t, ann.token, 20)
	for i, f := range results {
		k := uploadKinds[i%len(uploadKinds)]
		got, _ := stub.Object("izpochat-bucket/" + f.Filename)
		if got.ContentType != k.ct || f.ContentType != k.ct || len(got.Body) != len(k.body) {
			t.Errorf("upload %d (%s): arrived as %q with %d bytes, row says %q", i, k.name, got.ContentType, len(got.Body), f.ContentType)
		}
		if !strings.HasSuffix(f.FileURL, "/storage/v1/object/public/izpochat-bucket/"+f.Filename) {
			t.Errorf("public url %q", f.FileURL)
		}
	}
	if env.fileRows() != 20 {
		t.Fatalf("%d rows", env.fileRows())
	}
}

// With Supabase, a private room's file is shown through the Storage API's signed
// URL (asked for with the file's key and the link lifetime), a public room's at
// its public URL.
func TestUploadSupabasePrivateRoomFilesAreSigned(t *testing.T) {
	stub := testkit.StartFakeSupabase(t)
	env := newSupabaseEnv(t, stub, 5*time.Second)
	ann := env.user("ann")
	private, public := env.room(ann, "secret", true), env.room(ann, "lobby", false)

	code, raw := env.upload("/api/upload", ann.token, fileP("file", "a.png", pngBytes), fieldP("room_id", fmt.Sprint(private)))
	if code != http.StatusCreated {
		t.Fatalf("upload: %d %s", code, raw)
	}
	up := decode[fileJSON](t, raw)
	if !strings.Contains(up.FileURL, "/storage/v1/object/sign/izpochat-bucket/"+up.Filename+"?token=t1") || up.PublicURL != up.FileURL {
		t.Fatalf("private room's file_url = %q", up.FileURL)
	}
	signs := stub.Signs()
	if len(signs) == 0 {
		t.Fatal("no signing request reached Supabase")
	}
	var req struct {
		ExpiresIn int      `json:"expiresIn"`
		Paths     []string `json:"paths"`
	}
	if err := json.Unmarshal([]byte(signs[0].Body), &req); err != nil || len(req.Paths) != 1 || req.Paths[0] != up.Filename ||
		req.ExpiresIn < 7*24*3600 || req.ExpiresIn > 7*24*3600+3600 {
		t.Fatalf("signing request %s", signs[0].Body)
	}
	code, raw = env.do(http.MethodGet, fmt.Sprintf("/api/rooms/%d/messages", private), ann.token, nil, "")
	if code != http.StatusOK || !strings.Contains(string(raw), "token=t") {
		t.Fatalf("history: %d %s", code, raw)
	}

	code, raw = env.upload("/api/upload", ann.token, fileP("file", "b.png", pngBytes), fieldP("room_id", fmt.Sprint(public)))
	if code != http.StatusCreated {
		t.Fatalf("public upload: %d %s", code, raw)
	}
	if pub := decode[fileJSON](t, raw); !strings.HasSuffix(pub.FileURL, "/storage/v1/object/public/izpochat-bucket/"+pub.Filename) {
		t.Fatalf("public room's file_url = %q", pub.FileURL)
	}
}
