package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/izpochat/server/internal/fakegcs"
)

func newFakeGCS(t *testing.T, timeout time.Duration) (*fakegcs.Server, *GCS) {
	t.Helper()
	fake := fakegcs.Start(t, "izpochat-files")
	g, err := NewGCS(context.Background(), GCSConfig{Bucket: "izpochat-files", CredentialsFile: fake.CredentialsFile, Endpoint: fake.URL, Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	return fake, g
}

// uploadRequests are the JSON API upload requests the fake received.
func gcsUploads(fake *fakegcs.Server) []fakegcs.Request {
	var out []fakegcs.Request
	for _, r := range fake.Requests() {
		if strings.HasPrefix(r.Path, "/upload/storage/v1/b/") {
			out = append(out, r)
		}
	}
	return out
}

// Put authenticates with the key file's service account (a token bought with a
// JWT signed by its key), sends one streamed multipart upload that may only
// create, with the content type and disposition, and Delete removes the object.
func TestGCSPutSendsOneStreamedAuthenticatedUpload(t *testing.T) {
	fake, g := newFakeGCS(t, 5*time.Second)
	body := []byte("%PDF-1.7 document bytes")
	key := strings.Replace(testKey, "photo.png", "plan.pdf", 1)
	u, err := g.Put(context.Background(), key, bytes.NewReader(body), int64(len(body)), "application/pdf")
	if err != nil {
		t.Fatal(err)
	}
	if u != fake.URL+"/izpochat-files/"+key {
		t.Fatalf("public url = %q", u)
	}
	if fake.TokenExchanges() == 0 {
		t.Fatal("no OAuth token was asked for with the key file's account")
	}
	ups := gcsUploads(fake)
	if len(ups) != 1 {
		t.Fatalf("%d upload requests, want one", len(ups))
	}
	up := ups[0]
	if up.Method != http.MethodPost || up.Query.Get("uploadType") != "multipart" || up.Query.Get("ifGenerationMatch") != "0" ||
		!strings.HasPrefix(up.Header.Get("Authorization"), "Bearer ya29.fake-") || !strings.HasPrefix(up.Header.Get("Content-Type"), "multipart/related") {
		t.Fatalf("upload request: %s %s?%s %v", up.Method, up.Path, up.Query.Encode(), up.Header)
	}
	if !up.Chunked || up.ContentLength != -1 {
		t.Fatalf("upload not streamed: chunked %v, content length %d", up.Chunked, up.ContentLength)
	}
	if meta := string(up.Body); !strings.Contains(meta, `"contentType":"application/pdf"`) || !strings.Contains(meta, `attachment; filename=plan.pdf`) {
		t.Fatalf("metadata part: %s", meta)
	}
	obj, ok := fake.Object(key)
	if !ok || !bytes.Equal(obj.Content, body) || obj.ContentType != "application/pdf" || obj.ContentDisposition != "attachment; filename=plan.pdf" || obj.CacheControl != "max-age=3600" {
		t.Fatalf("stored %v: %+v", ok, obj.ObjectAttrs)
	}
	// The public URL reads it (the fake's bucket is public).
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(got, body) {
		t.Fatalf("public read: %d %q", resp.StatusCode, got)
	}
	if err := g.Delete(context.Background(), key); err != nil {
		t.Fatal(err)
	}
	if _, ok := fake.Object(key); ok {
		t.Fatal("object still there after Delete")
	}
	if err := g.Delete(context.Background(), key); err != nil {
		t.Fatalf("deleting a missing object: %v", err)
	}
	if err := g.Delete(context.Background(), "../etc/passwd"); !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("bad key: %v", err)
	}
	// An image is shown inline.
	if _, err := g.Put(context.Background(), testKey, bytes.NewReader([]byte("\x89PNG")), -1, "image/png"); err != nil {
		t.Fatal(err)
	}
	if obj, _ := fake.Object(testKey); obj.ContentDisposition != "inline; filename=photo.png" {
		t.Fatalf("image disposition %q", obj.ContentDisposition)
	}
}

// The upload reaches the server while the file is still being read: nothing
// waits for the whole file.
func TestGCSPutStreamsBeforeTheFileEnds(t *testing.T) {
	fake, g := newFakeGCS(t, 10*time.Second)
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		_, err := g.Put(context.Background(), testKey, pr, -1, "image/png")
		done <- err
	}()
	chunk := bytes.Repeat([]byte("x"), 256<<10)
	for range 4 { // 1 MiB, then wait for the server to see bytes
		if _, err := pw.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-fake.UploadArrived():
	case <-time.After(5 * time.Second):
		t.Fatal("no byte reached the server while the file was still open: the upload is buffered")
	}
	pw.Write(chunk)
	pw.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if obj, ok := fake.Object(testKey); !ok || len(obj.Content) != 5*256<<10 {
		t.Fatalf("stored %v, %d bytes", ok, len(obj.Content))
	}
}

// A source that fails mid-way (the client left, the size limit) leaves no object.
func TestGCSFailedReadLeavesNoObject(t *testing.T) {
	fake, g := newFakeGCS(t, 5*time.Second)
	src := io.MultiReader(bytes.NewReader(bytes.Repeat([]byte("y"), 300<<10)), iotestErrReader{errors.New("client went away")})
	if _, err := g.Put(context.Background(), testKey, src, -1, "image/png"); err == nil || !strings.Contains(err.Error(), "client went away") {
		t.Fatalf("err = %v", err)
	}
	time.Sleep(100 * time.Millisecond)
	if keys := fake.Keys(); len(keys) != 0 {
		t.Fatalf("objects left: %v", keys)
	}
}

type iotestErrReader struct{ err error }

func (r iotestErrReader) Read([]byte) (int, error) { return 0, r.err }

func TestGCSErrorStatusIsUpstream(t *testing.T) {
	for _, status := range []int{http.StatusBadRequest, http.StatusForbidden, http.StatusInternalServerError, http.StatusServiceUnavailable} {
		fake, g := newFakeGCS(t, 5*time.Second)
		fake.Fail(status)
		_, err := g.Put(context.Background(), testKey, strings.NewReader("x"), -1, "text/plain")
		if !errors.Is(err, ErrUpstream) || !strings.Contains(err.Error(), fmt.Sprint(status)) {
			t.Errorf("status %d: err = %v, want ErrUpstream naming the status", status, err)
		}
	}
	// A key file the server does not know: no token, so the upload fails upstream.
	fake, _ := newFakeGCS(t, 5*time.Second)
	other := fakegcs.Start(t, "izpochat-files")
	stranger, err := NewGCS(context.Background(), GCSConfig{Bucket: "izpochat-files", CredentialsFile: other.CredentialsFile, Endpoint: fake.URL, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer stranger.Close()
	if _, err := stranger.Put(context.Background(), testKey, strings.NewReader("x"), -1, "text/plain"); !errors.Is(err, ErrUpstream) {
		t.Errorf("unknown key file: err = %v", err)
	}
	if err := stranger.Check(context.Background()); err == nil {
		t.Error("Check passed with an unknown key file")
	}
	unreachable, err := NewGCS(context.Background(), GCSConfig{Bucket: "b", CredentialsFile: fake.CredentialsFile, Endpoint: "http://127.0.0.1:1", Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer unreachable.Close()
	if _, err := unreachable.Put(context.Background(), testKey, strings.NewReader("x"), -1, "text/plain"); !errors.Is(err, ErrUpstream) {
		t.Errorf("unreachable: err = %v", err)
	}
}

func TestGCSHangTimesOut(t *testing.T) {
	fake, g := newFakeGCS(t, 300*time.Millisecond)
	release := make(chan struct{})
	defer close(release)
	fake.Hang(release)
	// Warm the connection (and the token) up, so what stays afterwards is a leak.
	if err := g.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	before := runtime.NumGoroutine()
	start := time.Now()
	_, err := g.Put(context.Background(), testKey, strings.NewReader(strings.Repeat("x", 1<<20)), -1, "text/plain")
	took := time.Since(start)
	// The fake's handler may wait for release until the test ends: one goroutine.
	if after := settledGoroutines(before + 1); after > before+1 {
		buf := make([]byte, 1<<16)
		t.Fatalf("goroutines: %d before, %d after the timed-out upload:\n%s", before, after, buf[:runtime.Stack(buf, true)])
	}
	if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "300ms") {
		t.Fatalf("err = %v, want ErrTimeout naming the timeout", err)
	}
	if took < 300*time.Millisecond || took > 2*time.Second {
		t.Fatalf("took %s, want about the 300ms timeout", took)
	}
	// The caller's own deadline is not our timeout.
	g.timeout = 5 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := g.Put(ctx, testKey, strings.NewReader("x"), -1, "text/plain"); errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("caller's deadline: err = %v", err)
	}
}

func TestGCSConcurrentPutsKeepTheirContentTypes(t *testing.T) {
	fake, g := newFakeGCS(t, 10*time.Second)
	types := []string{"image/png", "application/pdf", "audio/mpeg", "video/mp4", "text/plain; charset=utf-8"}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := strings.Replace(testKey, "photo.png", fmt.Sprintf("f%d.bin", i), 1)
			if _, err := g.Put(context.Background(), key, strings.NewReader(strings.Repeat(fmt.Sprintf("file %d;", i), 5000)), -1, types[i%len(types)]); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	for i := range 20 {
		key := strings.Replace(testKey, "photo.png", fmt.Sprintf("f%d.bin", i), 1)
		obj, ok := fake.Object(key)
		if !ok || obj.ContentType != types[i%len(types)] || string(obj.Content) != strings.Repeat(fmt.Sprintf("file %d;", i), 5000) {
			t.Errorf("file %d arrived as %q with %d bytes", i, obj.ContentType, len(obj.Content))
		}
	}
}

// SignURLs makes V4 signed URLs with the key file's key that the server
// accepts (and refuses tampered), valid until the expiry (at most 7 days), and
// remembers them until the expiry changes.
func TestGCSSignURLsAreV4SignedByTheServiceAccount(t *testing.T) {
	fake, g := newFakeGCS(t, 5*time.Second)
	body := []byte("\x89PNG secret plan")
	if _, err := g.Put(context.Background(), testKey, bytes.NewReader(body), -1, "image/png"); err != nil {
		t.Fatal(err)
	}
	expires := time.Now().Add(2 * time.Hour).Truncate(time.Second)
	links, err := g.SignURLs(context.Background(), []string{testKey, "../bad"}, expires)
	if err != nil || len(links) != 1 {
		t.Fatalf("links %v, %v", links, err)
	}
	u, err := url.Parse(links[testKey])
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Scheme+"://"+u.Host != fake.URL || u.Path != "/izpochat-files/"+testKey || q.Get("X-Goog-Algorithm") != "GOOG4-RSA-SHA256" ||
		!strings.HasPrefix(q.Get("X-Goog-Credential"), fakegcs.ClientEmail+"/") {
		t.Fatalf("signed url %s", u)
	}
	if exp, _ := time.ParseDuration(q.Get("X-Goog-Expires") + "s"); exp < 2*time.Hour-time.Minute || exp > 2*time.Hour {
		t.Fatalf("X-Goog-Expires %s, want about 2h", q.Get("X-Goog-Expires"))
	}
	get := func(u string) (int, []byte) {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	if code, got := get(links[testKey]); code != 200 || !bytes.Equal(got, body) {
		t.Fatalf("signed read: %d %q", code, got)
	}
	if code, _ := get(strings.Replace(links[testKey], "X-Goog-Expires=", "X-Goog-Expires=1", 1)); code != http.StatusForbidden {
		t.Fatalf("tampered link: %d, want 403", code)
	}
	again, err := g.SignURLs(context.Background(), []string{testKey}, expires)
	if err != nil || again[testKey] != links[testKey] {
		t.Fatalf("same expiry gave another link: %v %v", again, err)
	}
	// Longer than V4 allows: the link lives the 7 days it may.
	far, err := g.SignURLs(context.Background(), []string{testKey}, time.Now().Add(8*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if fu, _ := url.Parse(far[testKey]); fu == nil || fu.Query().Get("X-Goog-Expires") < "604790" || fu.Query().Get("X-Goog-Expires") > "604800" {
		t.Fatalf("8-day link %v, want X-Goog-Expires of 7 days", far)
	}
	if code, _ := get(far[testKey]); code != 200 {
		t.Fatalf("7-day link: %d", code)
	}
	if n := len(fake.Requests()); n == 0 {
		t.Fatal("no request recorded")
	}
}

func TestGCSCheck(t *testing.T) {
	fake, g := newFakeGCS(t, 5*time.Second)
	if err := g.Check(context.Background()); err != nil {
		t.Fatalf("healthy bucket: %v", err)
	}
	missing, err := NewGCS(context.Background(), GCSConfig{Bucket: "no-such-bucket", CredentialsFile: fake.CredentialsFile, Endpoint: fake.URL})
	if err != nil {
		t.Fatal(err)
	}
	defer missing.Close()
	if err := missing.Check(context.Background()); err == nil || !strings.Contains(err.Error(), "no-such-bucket") {
		t.Fatalf("missing bucket: %v", err)
	}
}
