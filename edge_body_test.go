package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/izpochat/server/internal/testkit"
)

// The attacks below send what no client would (a body that never ends, a
// byte a second), so they keep raw HTTP, through the kit's hostile helpers
// (testkit.NewEndlessBody, testkit.Trickle); the session they attack is the
// kit's (testkit.OpenPolling).

// pollURL opens an Engine.IO polling session (no token needed) and returns its URL.
func pollURL(t *testing.T, base string, eio int) string {
	t.Helper()
	return testkit.OpenPolling(t, base, testkit.PollingOptions{EIO: eio}).URL
}

// heapPeak samples the live heap until stop is called and returns its growth
// over the heap before (after a GC), in bytes.
func heapPeak() (stop func() int64) {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() int64 { metrics.Read(sample); return int64(sample[0].Value.Uint64()) }
	before := read()
	var peak atomic.Int64
	peak.Store(before)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				if v := read(); v > peak.Load() {
					peak.Store(v)
				}
			}
		}
	}()
	return func() int64 {
		close(done)
		wg.Wait()
		if v := read(); v > peak.Load() {
			peak.Store(v)
		}
		return peak.Load() - before
	}
}

// Attack row 1: a 400 MB chunked POST to a polling session used to be answered
// 200 after the engine buffered all of it (+1 GiB RSS). It is now cut at
// SOCKETIO_MAX_PAYLOAD: 413 (or the connection closed), and the heap stays small.
func TestEdgeChunkedPollingPostIsCutAtMaxPayload(t *testing.T) {
	base, stop, _ := startRun(t, map[string]string{})
	defer stop()
	for _, eio := range []int{4, 3} {
		t.Run(fmt.Sprintf("EIO=%d", eio), func(t *testing.T) {
			body := testkit.NewEndlessBody(400<<20, '4') // one huge Engine.IO message
			req, _ := http.NewRequest(http.MethodPost, pollURL(t, base, eio), body)
			req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
			if req.ContentLength != 0 && req.ContentLength != -1 {
				t.Fatalf("the body must be sent without a length, got %d", req.ContentLength)
			}
			grown := heapPeak()
			client := &http.Client{Transport: &http.Transport{}, Timeout: 60 * time.Second}
			defer client.CloseIdleConnections()
			resp, err := client.Do(req)
			growth := grown()
			status := 0
			if err == nil {
				status = resp.StatusCode
				raw, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if status == http.StatusRequestEntityTooLarge && !json.Valid(raw) {
					t.Errorf("413 body is not the contract's JSON: %q", raw)
				}
			}
			if err == nil && status != http.StatusRequestEntityTooLarge {
				t.Errorf("400 MB chunked polling POST answered %d, want 413 or a cut connection", status)
			}
			if growth > 50<<20 {
				t.Errorf("heap grew %d MiB while the body streamed, want < 50 MiB", growth>>20)
			}
			t.Logf("status %d err %v, sent %d MiB, heap growth %.1f MiB", status, err, body.Sent()>>20, float64(growth)/(1<<20))
		})
	}
}

// A declared length over the limit is refused before a byte of the body is read.
func TestEdgeDeclaredOversizeBodiesAreRefusedAtOnce(t *testing.T) {
	base, stop, _ := startRun(t, map[string]string{"SOCKETIO_MAX_PAYLOAD": "1000"})
	defer stop()
	for _, target := range []string{pollURL(t, base, 4), base + "/api/users/login"} {
		req, _ := http.NewRequest(http.MethodPost, target, bytes.NewReader(make([]byte, 200<<10)))
		req.Header.Set("Content-Type", "application/json")
		status, out := do(t, req)
		if status != http.StatusRequestEntityTooLarge || out["error"] == nil || out["detail"] == nil {
			t.Errorf("%s with Content-Length 200 KiB: %d %v, want 413 in the error shape", target, status, out)
		}
	}
}

// An oversize chunked JSON body to a REST route is cut while it streams: 413 in
// the contract's error shape (it used to be read up to 1 MiB and handled).
func TestEdgeChunkedJSONBodyOverLimitIs413(t *testing.T) {
	base, stop, _ := startRun(t, map[string]string{})
	defer stop()
	// A valid login body of 200 KiB, sent without a length.
	payload := `{"email":"nobody@example.com","password":"` + strings.Repeat("x", 200<<10) + `"}`
	req, _ := http.NewRequest(http.MethodPost, base+"/api/users/login", io.MultiReader(strings.NewReader(payload)))
	req.Header.Set("Content-Type", "application/json")
	if req.ContentLength > 0 {
		t.Fatal("body must be chunked")
	}
	status, out := do(t, req)
	if status != http.StatusRequestEntityTooLarge || out["error"] == nil || out["detail"] == nil {
		t.Fatalf("200 KiB chunked login body: %d %v, want 413 {error, detail}", status, out)
	}
	// A body within the limit, chunked too, is read as before.
	req, _ = http.NewRequest(http.MethodPost, base+"/api/users/login",
		io.MultiReader(strings.NewReader(`{"email":"nobody@example.com","password":"wrong-password"}`)))
	req.Header.Set("Content-Type", "application/json")
	if status, out := do(t, req); status != http.StatusUnauthorized {
		t.Fatalf("small chunked login body: %d %v, want 401", status, out)
	}
}

// Attack row 5: a body sent one byte at a time used to be read for as long as
// the client liked. A REST or polling body must arrive within HTTP_BODY_TIMEOUT.
func TestEdgeSlowBodyIsCutOff(t *testing.T) {
	base, stop, _ := startRun(t, map[string]string{"HTTP_BODY_TIMEOUT": "2s"})
	defer stop()
	body := []byte(`{"email":"nobody@example.com","password":"` + strings.Repeat("x", 100) + `"}`)
	host := strings.TrimPrefix(base, "http://")
	polling := strings.TrimPrefix(pollURL(t, base, 4), base)
	for name, target := range map[string]string{
		"rest":    "/api/users/login",
		"polling": polling,
	} {
		t.Run(name, func(t *testing.T) {
			head := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", target, host, len(body))
			took, got := testkit.Trickle(t, base, head, body, time.Second, 10*time.Second)
			if took > 6*time.Second {
				t.Fatalf("a body at 1 byte/s was still being read after %v (%s), want it cut within ~2s", took, got)
			}
			t.Logf("cut after %v: %s", took.Round(time.Millisecond), got)
		})
	}
}
