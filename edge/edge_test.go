package edge

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/izpochat/server/config"
	"github.com/izpochat/server/internal/testkit"
)

// Over HTTP/2 a body has no Content-Length either: it is bounded the same way.
func TestHTTP2BodiesAreBounded(t *testing.T) {
	e := New(Options{HTTP: config.HTTP{BodyTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second, MaxJSONBody: 64 << 10},
		MaxPollingBody: 1 << 20, MaxUploadBody: 2 << 20, LongPollWait: time.Second})
	var engineCalls atomic.Int64
	var restErr atomic.Value
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/socket.io/") {
			engineCalls.Add(1) // as the engine: reads everything, ignores errors
			_, _ = io.ReadAll(r.Body)
			return
		}
		if _, err := io.ReadAll(r.Body); err != nil {
			restErr.Store(err)
			w.WriteHeader(http.StatusRequestEntityTooLarge)
		}
	})
	srv := httptest.NewUnstartedServer(e.Handler(next))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	client := srv.Client()

	post := func(path string, n int64) (*http.Response, *testkit.EndlessBody) {
		body := testkit.NewEndlessBody(n, 0) // no declared length over HTTP/2 either
		req, _ := http.NewRequest(http.MethodPost, srv.URL+path, body)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("POST %s: %v", path, err)
		}
		if resp.ProtoMajor != 2 {
			t.Fatalf("served over %s, want HTTP/2", resp.Proto)
		}
		resp.Body.Close()
		return resp, body
	}
	resp, body := post("/socket.io/?EIO=4&transport=polling&sid=x", 64<<20)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || engineCalls.Load() != 0 {
		t.Errorf("64 MiB polling POST over HTTP/2: %d, engine called %d times; want 413 before the engine", resp.StatusCode, engineCalls.Load())
	}
	if body.Sent() > 16<<20 {
		t.Errorf("the client could send %d MiB before being cut", body.Sent()>>20)
	}
	resp, _ = post("/socket.io/?EIO=4&transport=polling&sid=x", 1000)
	if resp.StatusCode != http.StatusOK || engineCalls.Load() != 1 {
		t.Errorf("small polling POST over HTTP/2: %d, engine called %d times", resp.StatusCode, engineCalls.Load())
	}
	resp, _ = post("/api/rooms", 1<<20)
	var tooBig *http.MaxBytesError
	if err, _ := restErr.Load().(error); resp.StatusCode != http.StatusRequestEntityTooLarge || !errors.As(err, &tooBig) {
		t.Errorf("1 MiB REST body over HTTP/2: %d, handler read error %v; want it cut at 64 KiB", resp.StatusCode, err)
	}
}
