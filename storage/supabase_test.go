package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/izpochat/server/internal/testkit"
)

const fakeKey = testkit.SupabaseKey

// newFakeSupabase is the test kit's fake Storage API and a store talking to it.
func newFakeSupabase(t *testing.T, timeout time.Duration) (*testkit.FakeSupabase, *Supabase) {
	t.Helper()
	fake := testkit.StartFakeSupabase(t)
	s, err := NewSupabase(SupabaseConfig{URL: fake.URL + "/", Key: fakeKey, Bucket: "izpochat-bucket", Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	return fake, s
}

func TestSupabasePutSendsTheStorageAPIRequest(t *testing.T) {
	fake, s := newFakeSupabase(t, 5*time.Second)
	body := []byte("%PDF-1.7 document bytes")
	url, err := s.Put(context.Background(), testKey, bytes.NewReader(body), int64(len(body)), "application/pdf")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(url, "/storage/v1/object/public/izpochat-bucket/"+testKey) || !strings.HasPrefix(url, "http://127.0.0.1") {
		t.Fatalf("public url = %q", url)
	}
	got, ok := fake.Object("izpochat-bucket/" + testKey)
	if !ok {
		t.Fatalf("no object at /storage/v1/object/izpochat-bucket/<key>; have %v", fake.Objects())
	}
	if got.Method != http.MethodPost || got.Auth != "Bearer "+fakeKey || got.APIKey != fakeKey ||
		got.ContentType != "application/pdf" || got.Upsert != "false" || !bytes.Equal(got.Body, body) {
		t.Fatalf("request = %+v", got)
	}
	if err := s.Delete(context.Background(), testKey); err != nil {
		t.Fatal(err)
	}
	if deleted := fake.Deleted(); len(deleted) != 1 || len(deleted[0]) != 1 || deleted[0][0] != testKey {
		t.Fatalf("deleted = %v", deleted)
	}
}

func TestSupabaseErrorStatusIsUpstream(t *testing.T) {
	for _, status := range []int{http.StatusBadRequest, http.StatusForbidden, http.StatusInternalServerError, http.StatusServiceUnavailable} {
		fake, s := newFakeSupabase(t, 5*time.Second)
		fake.Status = status
		_, err := s.Put(context.Background(), testKey, strings.NewReader("x"), -1, "text/plain")
		if !errors.Is(err, ErrUpstream) || !strings.Contains(err.Error(), fmt.Sprint(status)) {
			t.Errorf("status %d: err = %v, want ErrUpstream naming the status", status, err)
		}
	}
	_, s := newFakeSupabase(t, 5*time.Second)
	s.key = "wrong"
	if _, err := s.Put(context.Background(), testKey, strings.NewReader("x"), -1, "text/plain"); !errors.Is(err, ErrUpstream) {
		t.Errorf("bad key: err = %v", err)
	}
	unreachable, _ := NewSupabase(SupabaseConfig{URL: "http://127.0.0.1:1", Key: "k", Bucket: "b", Timeout: time.Second})
	if _, err := unreachable.Put(context.Background(), testKey, strings.NewReader("x"), -1, "text/plain"); !errors.Is(err, ErrUpstream) {
		t.Errorf("unreachable: err = %v", err)
	}
}

// clientGoroutines counts goroutines of the HTTP client or of our store.
func clientGoroutines() int {
	buf := make([]byte, 1<<20)
	n := 0
	for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
		if strings.Contains(g, "persistConn") || strings.Contains(g, "storage.(*Supabase)") || strings.Contains(g, "closingBody") {
			n++
		}
	}
	return n
}

// settledGoroutines waits for the goroutine count to fall to at most want.
func settledGoroutines(want int) int {
	n := runtime.NumGoroutine()
	for deadline := time.Now().Add(3 * time.Second); n > want && time.Now().Before(deadline); n = runtime.NumGoroutine() {
		time.Sleep(20 * time.Millisecond)
	}
	return n
}

func TestSupabaseHangTimesOutWithoutLeaks(t *testing.T) {
	for _, beforeRead := range []bool{false, true} {
		t.Run(fmt.Sprintf("hang_before_reading_body=%v", beforeRead), func(t *testing.T) {
			fake, s := newFakeSupabase(t, 300*time.Millisecond)
			fake.Hang, fake.HangBeforeRead = make(chan struct{}), beforeRead
			defer close(fake.Hang)
			http.DefaultTransport.(*http.Transport).CloseIdleConnections()
			time.Sleep(50 * time.Millisecond)
			before := runtime.NumGoroutine()
			body := strings.Repeat("x", 8<<20) // more than the socket buffers hold
			start := time.Now()
			_, err := s.Put(context.Background(), testKey, strings.NewReader(body), -1, "text/plain")
			took := time.Since(start)
			if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "300ms") {
				t.Fatalf("err = %v, want ErrTimeout naming the timeout", err)
			}
			if took < 300*time.Millisecond || took > 1500*time.Millisecond {
				t.Fatalf("took %s, want about the 300ms timeout", took)
			}
			// The client side (transport loops, our body tracking) must be gone. A
			// handler that never read the body cannot see the client leave, so the
			// fake server may keep that one goroutine until the test ends.
			allowed := before
			if beforeRead {
				allowed++
			}
			after := settledGoroutines(allowed)
			if after > allowed || clientGoroutines() > 0 {
				buf := make([]byte, 1<<16)
				t.Fatalf("goroutines: %d before, %d after the timed-out upload:\n%s", before, after, buf[:runtime.Stack(buf, true)])
			}
			t.Logf("goroutines before %d, after %d; timed out after %s", before, after, took)
		})
	}
}

func TestSupabaseCallerCancelIsNotTimeout(t *testing.T) {
	fake, s := newFakeSupabase(t, 5*time.Second)
	fake.Hang = make(chan struct{})
	defer close(fake.Hang)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := s.Put(ctx, testKey, strings.NewReader("x"), -1, "text/plain")
	if errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the caller's deadline", err)
	}
}

func TestSupabaseConcurrentPutsKeepTheirContentTypes(t *testing.T) {
	fake, s := newFakeSupabase(t, 10*time.Second)
	types := []string{"image/png", "application/pdf", "audio/mpeg", "video/mp4", "text/plain; charset=utf-8"}
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := strings.Replace(testKey, "photo.png", fmt.Sprintf("f%d.bin", i), 1)
			body := strings.Repeat(fmt.Sprintf("file %d;", i), 5000)
			if _, err := s.Put(context.Background(), key, strings.NewReader(body), -1, types[i%len(types)]); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i := range 20 {
		key := strings.Replace(testKey, "photo.png", fmt.Sprintf("f%d.bin", i), 1)
		got, _ := fake.Object("izpochat-bucket/" + key)
		if got.ContentType != types[i%len(types)] || string(got.Body) != strings.Repeat(fmt.Sprintf("file %d;", i), 5000) {
			t.Errorf("file %d arrived as %q with %d bytes", i, got.ContentType, len(got.Body))
		}
	}
}

// SignURLs asks the Storage API for signed URLs of every key in one request,
// with the service key, and remembers them until the expiry changes.
func TestSupabaseSignURLsAsksTheStorageAPI(t *testing.T) {
	fake, s := newFakeSupabase(t, 5*time.Second)
	other := "00000000-0000-4000-8000-000000000000_b.png"
	expires := time.Now().Add(2 * time.Hour).Truncate(time.Second)
	got, err := s.SignURLs(context.Background(), []string{testKey, other, "../bad"}, expires)
	if err != nil {
		t.Fatal(err)
	}
	if len(fake.Signs()) != 1 {
		t.Fatalf("%d signing requests, want 1", len(fake.Signs()))
	}
	req := fake.Signs()[0]
	if req.Bucket != "izpochat-bucket" || len(req.Paths) != 2 || req.Paths[0] != testKey || req.Paths[1] != other ||
		req.ExpiresIn < 7190 || req.ExpiresIn > 7200 {
		t.Fatalf("signing request = %+v", req)
	}
	want := s.api + "/object/sign/izpochat-bucket/" + testKey + "?token=t1"
	if got[testKey] != want || !strings.HasPrefix(got[other], "http://127.0.0.1") || len(got) != 2 {
		t.Fatalf("signed = %v, want %s for the key", got, want)
	}
	// The same expiry again: remembered, nothing asked.
	again, err := s.SignURLs(context.Background(), []string{testKey}, expires)
	if err != nil || again[testKey] != want || len(fake.Signs()) != 1 {
		t.Fatalf("again = %v, %v, %d requests", again, err, len(fake.Signs()))
	}
	// A new expiry is asked for.
	if l, err := s.SignURLs(context.Background(), []string{testKey}, expires.Add(time.Hour)); err != nil || len(fake.Signs()) != 2 || !strings.HasSuffix(l[testKey], "?token=t2") {
		t.Fatalf("new expiry = %v, %v, %d requests", l, err, len(fake.Signs()))
	}
}
