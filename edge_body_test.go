package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// pollSession opens an Engine.IO polling session (no token needed) and returns its sid.
func pollSession(t *testing.T, base string, eio int) string {
	t.Helper()
	resp, err := http.Get(fmt.Sprintf("%s/socket.io/?EIO=%d&transport=polling", base, eio))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`"sid":"([^"]+)"`).FindSubmatch(raw)
	if resp.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("polling handshake: %d %q", resp.StatusCode, raw)
	}
	return string(m[1])
}

// endlessBody is a generated body of n bytes ("4" then "a"s: one huge Engine.IO
// message) whose length the client does not declare, so it is sent chunked.
type endlessBody struct {
	left int64
	sent atomic.Int64
}

func (b *endlessBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, io.EOF
	}
	n := int64(len(p))
	if n > b.left {
		n = b.left
	}
	for i := range p[:n] {
		p[i] = 'a'
	}
	if b.sent.Load() == 0 {
		p[0] = '4'
	}
	b.left -= n
	b.sent.Add(n)
	return int(n), nil
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
			sid := pollSession(t, base, eio)
			body := &endlessBody{left: 400 << 20}
			req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/socket.io/?EIO=%d&transport=polling&sid=%s", base, eio, sid), body)
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
			t.Logf("status %d err %v, sent %d MiB, heap growth %.1f MiB", status, err, body.sent.Load()>>20, float64(growth)/(1<<20))
		})
	}
}

// A declared length over the limit is refused before a byte of the body is read.
func TestEdgeDeclaredOversizeBodiesAreRefusedAtOnce(t *testing.T) {
	base, stop, _ := startRun(t, map[string]string{"SOCKETIO_MAX_PAYLOAD": "1000"})
	defer stop()
	sid := pollSession(t, base, 4)
	for _, target := range []string{"/socket.io/?EIO=4&transport=polling&sid=" + sid, "/api/users/login"} {
		req, _ := http.NewRequest(http.MethodPost, base+target, bytes.NewReader(make([]byte, 200<<10)))
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

// trickle sends head, then body one byte every interval, and reports how long
// the server took to answer or close the connection (capped at limit: then it
// is still reading).
func trickle(t *testing.T, base, head string, body []byte, interval, limit time.Duration) (time.Duration, string) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	answered := make(chan string, 1)
	go func() {
		line, err := bufio.NewReader(conn).ReadString('\n')
		if err != nil && line == "" {
			line = "closed: " + err.Error()
		}
		answered <- strings.TrimSpace(line)
	}()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	deadline := time.After(limit)
	for i := 0; ; {
		select {
		case got := <-answered:
			return time.Since(start), got
		case <-deadline:
			return limit, "still reading"
		case <-tick.C:
			if i < len(body) {
				if _, err := conn.Write(body[i : i+1]); err != nil {
					return time.Since(start), "closed: " + err.Error()
				}
				i++
			}
		}
	}
}

// Attack row 5: a body sent one byte at a time used to be read for as long as
// the client liked. A REST or polling body must arrive within HTTP_BODY_TIMEOUT.
func TestEdgeSlowBodyIsCutOff(t *testing.T) {
	base, stop, _ := startRun(t, map[string]string{"HTTP_BODY_TIMEOUT": "2s"})
	defer stop()
	body := []byte(`{"email":"nobody@example.com","password":"` + strings.Repeat("x", 100) + `"}`)
	host := strings.TrimPrefix(base, "http://")
	sid := pollSession(t, base, 4)
	for name, target := range map[string]string{
		"rest":    "/api/users/login",
		"polling": "/socket.io/?EIO=4&transport=polling&sid=" + sid,
	} {
		t.Run(name, func(t *testing.T) {
			head := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", target, host, len(body))
			took, got := trickle(t, base, head, body, time.Second, 10*time.Second)
			if took > 6*time.Second {
				t.Fatalf("a body at 1 byte/s was still being read after %v (%s), want it cut within ~2s", took, got)
			}
			t.Logf("cut after %v: %s", took.Round(time.Millisecond), got)
		})
	}
}
