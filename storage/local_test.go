package storage

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const testKey = "0b9a6c2e-5d1f-4e4a-9c7b-1a2b3c4d5e6f_photo.png"

func typeByExt(name string) string {
	switch filepath.Ext(name) {
	case ".png":
		return "image/png"
	case ".svg":
		return "image/svg+xml"
	case ".pdf":
		return "application/pdf"
	case ".mp4":
		return "video/mp4"
	}
	return ""
}

func newLocal(t *testing.T) (*Local, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "uploads")
	l, err := NewLocal(dir, "/uploads", typeByExt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l, dir
}

func TestLocalPutServeDelete(t *testing.T) {
	l, dir := newLocal(t)
	body := []byte("\x89PNG\r\n\x1a\nbytes")
	url, err := l.Put(context.Background(), testKey, bytes.NewReader(body), int64(len(body)), "image/png")
	if err != nil {
		t.Fatal(err)
	}
	if url != "/uploads/"+testKey {
		t.Fatalf("url = %q", url)
	}
	srv := httptest.NewServer(http.StripPrefix("/uploads/", l))
	defer srv.Close()
	resp, err := http.Get(srv.URL + url)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(got, body) {
		t.Fatalf("GET = %d %q", resp.StatusCode, got)
	}
	for h, want := range map[string]string{"Content-Type": "image/png", "X-Content-Type-Options": "nosniff", "Content-Disposition": "inline; filename=photo.png"} {
		if resp.Header.Get(h) != want {
			t.Errorf("%s = %q, want %q", h, resp.Header.Get(h), want)
		}
	}
	if err := l.Delete(context.Background(), testKey); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, testKey)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("file still there: %v", err)
	}
	if err := l.Delete(context.Background(), testKey); err != nil {
		t.Fatalf("deleting a missing object: %v", err)
	}
}

func TestLocalDispositionByType(t *testing.T) {
	l, _ := newLocal(t)
	srv := httptest.NewServer(http.StripPrefix("/uploads/", l))
	defer srv.Close()
	for name, want := range map[string]string{"x.svg": "attachment", "x.pdf": "attachment", "x.mp4": "inline", "x.bin": "attachment"} {
		key := strings.Replace(testKey, "photo.png", name, 1)
		if _, err := l.Put(context.Background(), key, strings.NewReader("data"), -1, ""); err != nil {
			t.Fatal(err)
		}
		resp, err := http.Get(srv.URL + "/uploads/" + key)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if d := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(d, want) {
			t.Errorf("%s: Content-Disposition = %q, want %s", name, d, want)
		}
		if name == "x.bin" && resp.Header.Get("Content-Type") != "application/octet-stream" {
			t.Errorf("unknown type served as %q", resp.Header.Get("Content-Type"))
		}
	}
}

func TestLocalRefusesTraversalAndListing(t *testing.T) {
	l, dir := newLocal(t)
	secret := filepath.Join(filepath.Dir(dir), "secret.txt")
	if err := os.WriteFile(secret, []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Put(context.Background(), testKey, strings.NewReader("x"), -1, ""); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"", "../secret.txt", "..%2fsecret.txt", "%2e%2e/secret.txt", ".", "sub/" + testKey, testKey + "/.."} {
		req := httptest.NewRequest(http.MethodGet, "/placeholder", nil)
		req.URL.Path = "/" + p
		w := httptest.NewRecorder()
		l.ServeHTTP(w, req)
		if w.Code != http.StatusNotFound || strings.Contains(w.Body.String(), "secret") || strings.Contains(w.Body.String(), testKey) {
			t.Errorf("%q: %d %q", p, w.Code, w.Body.String())
		}
	}
	for _, key := range []string{"../x.png", "/etc/passwd", "a/b.png", "0b9a6c2e-5d1f-4e4a-9c7b-1a2b3c4d5e6f_..png", ""} {
		if _, err := l.Put(context.Background(), key, strings.NewReader("x"), -1, ""); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("Put(%q) err = %v, want ErrInvalidKey", key, err)
		}
	}
}

type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n > 0 {
		f.n--
		return copy(p, "abc"), nil
	}
	return 0, errors.New("client went away")
}

func TestLocalFailedPutLeavesNothing(t *testing.T) {
	l, dir := newLocal(t)
	if _, err := l.Put(context.Background(), testKey, &failingReader{n: 3}, -1, ""); err == nil {
		t.Fatal("want an error")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Fatalf("left behind: %v", entries)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Put(ctx, testKey, strings.NewReader("x"), -1, ""); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled put: %v", err)
	}
}

// A signed link reads its key until it expires; another key, a changed expiry
// or signature, or a store without the secret refuse it.
func TestLocalSignedLinks(t *testing.T) {
	l, err := NewLocal(t.TempDir(), "/uploads", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	expires := time.Now().Add(time.Hour)
	if got, _ := l.SignURLs(context.Background(), []string{testKey}, expires); len(got) != 0 {
		t.Fatalf("signed without a secret: %v", got)
	}
	l.SetSigningSecret([]byte("secret"))
	got, err := l.SignURLs(context.Background(), []string{testKey, "../x"}, expires)
	if err != nil || len(got) != 1 {
		t.Fatalf("signed = %v, %v", got, err)
	}
	u, err := url.Parse(got[testKey])
	if err != nil || u.Path != "/uploads/"+testKey {
		t.Fatalf("link = %q", got[testKey])
	}
	q := u.Query()
	if !SignedRequest(q) || !l.Verify(testKey, q, time.Now()) {
		t.Fatalf("own link refused: %v", q)
	}
	if l.Verify(testKey, q, expires.Add(time.Second)) {
		t.Fatal("expired link accepted")
	}
	if l.Verify("00000000-0000-4000-8000-000000000000_b.png", q, time.Now()) {
		t.Fatal("link accepted for another key")
	}
	bad := url.Values{"exp": {q.Get("exp") + "0"}, "sig": {q.Get("sig")}}
	if l.Verify(testKey, bad, time.Now()) {
		t.Fatal("changed expiry accepted")
	}
	other, _ := NewLocal(t.TempDir(), "/uploads", nil)
	defer other.Close()
	other.SetSigningSecret([]byte("another secret"))
	if other.Verify(testKey, q, time.Now()) {
		t.Fatal("link of another secret accepted")
	}
}

func TestKeyFromURL(t *testing.T) {
	for raw, want := range map[string]string{
		"/uploads/" + testKey:                                         testKey,
		"https://old.example/uploads/" + testKey:                      testKey,
		"https://x.supabase.co/storage/v1/object/public/b/" + testKey: testKey,
		"/uploads/" + testKey + "?exp=1&sig=x":                        testKey,
		"https://elsewhere.example/cat.png":                           "",
	} {
		got, ok := KeyFromURL(raw)
		if (want != "") != ok || (ok && got != want) {
			t.Errorf("KeyFromURL(%q) = %q, %v", raw, got, ok)
		}
	}
}
