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

	"github.com/izpochat/server/internal/fakes3"
)

func s3Config(fake *fakes3.Server, timeout time.Duration) S3Config {
	return S3Config{Bucket: fake.Bucket, Endpoint: fake.URL, Region: fakes3.Region, AccessKeyID: fakes3.AccessKeyID,
		SecretAccessKey: fakes3.SecretAccessKey, ForcePathStyle: true, Timeout: timeout}
}

func newFakeS3(t *testing.T, timeout time.Duration) (*fakes3.Server, *S3) {
	t.Helper()
	fake := fakes3.Start(t, "izpochat-files")
	s, err := NewS3(s3Config(fake, timeout))
	if err != nil {
		t.Fatal(err)
	}
	return fake, s
}

// writes are the PUT and POST requests the fake received.
func s3Writes(fake *fakes3.Server) []fakes3.Request {
	var out []fakes3.Request
	for _, r := range fake.Requests() {
		if r.Method == http.MethodPut || r.Method == http.MethodPost {
			out = append(out, r)
		}
	}
	return out
}

// A small file is one SigV4-signed PutObject (signature and payload hash
// checked by the fake) with its content type, disposition and length; Delete
// removes it.
func TestS3PutSendsOneSignedPutObject(t *testing.T) {
	fake, s := newFakeS3(t, 5*time.Second)
	body := []byte("%PDF-1.7 document bytes")
	key := strings.Replace(testKey, "photo.png", "plan.pdf", 1)
	u, err := s.Put(context.Background(), key, bytes.NewReader(body), -1, "application/pdf")
	if err != nil {
		t.Fatal(err)
	}
	if u != fake.URL+"/izpochat-files/"+key {
		t.Fatalf("public url = %q", u)
	}
	w := s3Writes(fake)
	if len(w) != 1 || w[0].Method != http.MethodPut || w[0].Path != "/izpochat-files/"+key {
		t.Fatalf("writes = %+v", w)
	}
	h := w[0].Header
	if !strings.HasPrefix(h.Get("Authorization"), "AWS4-HMAC-SHA256 Credential="+fakes3.AccessKeyID+"/") || h.Get("Content-Type") != "application/pdf" ||
		h.Get("Content-Disposition") != "attachment; filename=plan.pdf" || h.Get("X-Amz-Content-Sha256") == "UNSIGNED-PAYLOAD" || w[0].BodyLen != len(body) {
		t.Fatalf("PutObject headers %v, body %d bytes", h, w[0].BodyLen)
	}
	if !strings.Contains(strings.Join(w[0].SignedHeaders, ";"), "content-type") {
		t.Fatalf("content type not signed: %v", w[0].SignedHeaders)
	}
	got, meta, ok := fake.Object(key)
	if !ok || !bytes.Equal(got, body) || meta["Content-Type"] != "application/pdf" {
		t.Fatalf("stored %v %q %v", ok, got, meta)
	}
	if err := s.Delete(context.Background(), key); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := fake.Object(key); ok {
		t.Fatal("object still there after Delete")
	}
	if err := s.Delete(context.Background(), key); err != nil {
		t.Fatalf("deleting a missing object: %v", err)
	}
	if _, err := s.Put(context.Background(), "a/../../b", strings.NewReader("x"), -1, "text/plain"); !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("bad key: %v", err)
	}
}

// A file larger than a part streams as a multipart upload, a part at a time:
// the first part reaches S3 before the file has been read whole.
func TestS3LargePutStreamsAsMultipart(t *testing.T) {
	fake, s := newFakeS3(t, 10*time.Second)
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		_, err := s.Put(context.Background(), testKey, pr, -1, "image/png")
		done <- err
	}()
	part := bytes.Repeat([]byte("p"), minPartSize)
	if _, err := pw.Write(part); err != nil {
		t.Fatal(err)
	}
	pw.Write([]byte("one more byte opens the second part"))
	deadline := time.Now().Add(5 * time.Second)
	for !hasPart(fake, 1) {
		if time.Now().After(deadline) {
			t.Fatal("part 1 did not reach S3 while the file was still open: the upload is buffered")
		}
		time.Sleep(10 * time.Millisecond)
	}
	pw.Write(part)
	pw.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	got, meta, ok := fake.Object(testKey)
	if !ok || len(got) != 2*minPartSize+len("one more byte opens the second part") || meta["Content-Type"] != "image/png" {
		t.Fatalf("stored %v, %d bytes, %v", ok, len(got), meta)
	}
	var parts []int
	for _, r := range s3Writes(fake) {
		if r.Query.Has("partNumber") {
			parts = append(parts, r.BodyLen)
		}
	}
	if len(parts) != 3 || parts[0] != minPartSize || fake.OpenUploads() != 0 {
		t.Fatalf("part sizes %v, open uploads %d", parts, fake.OpenUploads())
	}
}

func hasPart(fake *fakes3.Server, n int) bool {
	for _, r := range fake.Requests() {
		if r.Query.Get("partNumber") == fmt.Sprint(n) {
			return true
		}
	}
	return false
}

// A source that fails mid-way leaves no object and no stored parts.
func TestS3FailedReadLeavesNothing(t *testing.T) {
	fake, s := newFakeS3(t, 5*time.Second)
	for _, size := range []int{300 << 10, minPartSize + 1} {
		src := io.MultiReader(bytes.NewReader(bytes.Repeat([]byte("y"), size)), iotestErrReader{errors.New("client went away")})
		if _, err := s.Put(context.Background(), testKey, src, -1, "image/png"); err == nil || !strings.Contains(err.Error(), "client went away") {
			t.Fatalf("%d bytes: err = %v", size, err)
		}
		if keys := fake.Keys(); len(keys) != 0 || fake.OpenUploads() != 0 {
			t.Fatalf("%d bytes: objects %v, open multipart uploads %d", size, keys, fake.OpenUploads())
		}
	}
}

func TestS3ErrorStatusIsUpstream(t *testing.T) {
	for _, status := range []int{http.StatusBadRequest, http.StatusForbidden, http.StatusInternalServerError, http.StatusServiceUnavailable} {
		fake, s := newFakeS3(t, 10*time.Second)
		fake.Fail(status)
		_, err := s.Put(context.Background(), testKey, strings.NewReader("x"), -1, "text/plain")
		if !errors.Is(err, ErrUpstream) || !strings.Contains(err.Error(), fmt.Sprint(status)) {
			t.Errorf("status %d: err = %v, want ErrUpstream naming the status", status, err)
		}
	}
	fake := fakes3.Start(t, "izpochat-files")
	cfg := s3Config(fake, 5*time.Second)
	cfg.SecretAccessKey = "wrong"
	wrong, _ := NewS3(cfg)
	if _, err := wrong.Put(context.Background(), testKey, strings.NewReader("x"), -1, "text/plain"); !errors.Is(err, ErrUpstream) || !strings.Contains(err.Error(), "403") {
		t.Errorf("wrong secret: err = %v", err)
	}
	if err := wrong.Check(context.Background()); err == nil {
		t.Error("Check passed with a wrong secret")
	}
	cfg = s3Config(fake, time.Second)
	cfg.Endpoint = "http://127.0.0.1:1"
	unreachable, _ := NewS3(cfg)
	if _, err := unreachable.Put(context.Background(), testKey, strings.NewReader("x"), -1, "text/plain"); !errors.Is(err, ErrUpstream) && !errors.Is(err, ErrTimeout) {
		t.Errorf("unreachable: err = %v", err)
	}
}

func TestS3HangTimesOut(t *testing.T) {
	fake, s := newFakeS3(t, 300*time.Millisecond)
	release := make(chan struct{})
	defer close(release)
	fake.Hang(release)
	// Warm the connection (and the token) up, so what stays afterwards is a leak.
	if err := s.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	before := runtime.NumGoroutine()
	start := time.Now()
	_, err := s.Put(context.Background(), testKey, strings.NewReader(strings.Repeat("x", 1<<20)), -1, "text/plain")
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
	s.timeout = 5 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := s.Put(ctx, testKey, strings.NewReader("x"), -1, "text/plain"); errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("caller's deadline: err = %v", err)
	}
}

func TestS3ConcurrentPutsKeepTheirContentTypes(t *testing.T) {
	fake, s := newFakeS3(t, 10*time.Second)
	types := []string{"image/png", "application/pdf", "audio/mpeg", "video/mp4", "text/plain; charset=utf-8"}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := strings.Replace(testKey, "photo.png", fmt.Sprintf("f%d.bin", i), 1)
			if _, err := s.Put(context.Background(), key, strings.NewReader(strings.Repeat(fmt.Sprintf("file %d;", i), 5000)), -1, types[i%len(types)]); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	for i := range 20 {
		key := strings.Replace(testKey, "photo.png", fmt.Sprintf("f%d.bin", i), 1)
		got, meta, ok := fake.Object(key)
		if !ok || meta["Content-Type"] != types[i%len(types)] || string(got) != strings.Repeat(fmt.Sprintf("file %d;", i), 5000) {
			t.Errorf("file %d arrived as %q with %d bytes", i, meta["Content-Type"], len(got))
		}
	}
}

// SignURLs presigns GETs the server accepts (and refuses tampered), valid
// until the expiry (at most 7 days), remembered until the expiry changes.
func TestS3SignURLsArePresignedGets(t *testing.T) {
	fake, s := newFakeS3(t, 5*time.Second)
	body := []byte("\x89PNG secret plan")
	if _, err := s.Put(context.Background(), testKey, bytes.NewReader(body), -1, "image/png"); err != nil {
		t.Fatal(err)
	}
	expires := time.Now().Add(2 * time.Hour).Truncate(time.Second)
	links, err := s.SignURLs(context.Background(), []string{testKey, "../bad"}, expires)
	if err != nil || len(links) != 1 {
		t.Fatalf("links %v, %v", links, err)
	}
	u, _ := url.Parse(links[testKey])
	if u.Scheme+"://"+u.Host != fake.URL || u.Path != "/izpochat-files/"+testKey || u.Query().Get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" {
		t.Fatalf("presigned url %s", u)
	}
	if e := u.Query().Get("X-Amz-Expires"); e < "7190" || e > "7200" || len(e) != 4 {
		t.Fatalf("X-Amz-Expires %s, want about 2h", e)
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
		t.Fatalf("presigned read: %d %q", code, got)
	}
	if code, _ := get(strings.Replace(links[testKey], "X-Amz-Expires=", "X-Amz-Expires=1", 1)); code != http.StatusForbidden {
		t.Fatalf("tampered link: %d, want 403", code)
	}
	if code, _ := get(fake.URL + "/izpochat-files/" + testKey); code != http.StatusForbidden {
		t.Fatalf("unsigned read: %d, want 403", code)
	}
	again, _ := s.SignURLs(context.Background(), []string{testKey}, expires)
	if again[testKey] != links[testKey] {
		t.Fatal("same expiry gave another link")
	}
	far, err := s.SignURLs(context.Background(), []string{testKey}, time.Now().Add(8*24*time.Hour))
	if fu, _ := url.Parse(far[testKey]); err != nil || fu == nil || fu.Query().Get("X-Amz-Expires") < "604790" || fu.Query().Get("X-Amz-Expires") > "604800" {
		t.Fatalf("8-day link %v, %v", far, err)
	}
	if code, _ := get(far[testKey]); code != 200 {
		t.Fatalf("7-day link: %d", code)
	}
}

func TestS3Check(t *testing.T) {
	fake, s := newFakeS3(t, 5*time.Second)
	if err := s.Check(context.Background()); err != nil {
		t.Fatalf("healthy bucket: %v", err)
	}
	cfg := s3Config(fake, 5*time.Second)
	cfg.Bucket = "no-such-bucket"
	missing, _ := NewS3(cfg)
	if err := missing.Check(context.Background()); err == nil || !strings.Contains(err.Error(), "no-such-bucket") {
		t.Fatalf("missing bucket: %v", err)
	}
}

// The public URL follows the addressing style, or S3_PUBLIC_URL.
func TestS3PublicURLs(t *testing.T) {
	cases := []struct {
		cfg  S3Config
		want string
	}{
		{S3Config{Region: "eu-west-1"}, "https://b.s3.eu-west-1.amazonaws.com/" + testKey},
		{S3Config{Endpoint: "http://minio:9000", ForcePathStyle: true}, "http://minio:9000/b/" + testKey},
		{S3Config{Endpoint: "https://acc.r2.cloudflarestorage.com"}, "https://b.acc.r2.cloudflarestorage.com/" + testKey},
		{S3Config{Endpoint: "https://acc.r2.cloudflarestorage.com", PublicURL: "https://files.example/"}, "https://files.example/" + testKey},
	}
	for _, c := range cases {
		c.cfg.Bucket, c.cfg.AccessKeyID, c.cfg.SecretAccessKey = "b", "a", "s"
		s, err := NewS3(c.cfg)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.URL(testKey); got != c.want {
			t.Errorf("%+v: %s, want %s", c.cfg, got, c.want)
		}
	}
	if _, err := NewS3(S3Config{Bucket: "b"}); err == nil {
		t.Error("no keys accepted")
	}
}
