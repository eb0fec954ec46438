package testkit

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	ws "github.com/gorilla/websocket"
)

// What no well-behaved client sends, for the tests of the HTTP edge: raw
// bytes on a TCP connection, a body of undeclared length that never seems to
// end, a body sent a byte at a time. Tests send hostile input through these
// rather than through a client of their own.

// EndlessBody is a request body of n bytes whose length the client does not
// declare, so it goes chunked (HTTP/1.1) or as DATA frames without a length
// (HTTP/2): 'a's, the first byte First when it is set (e.g. '4': one huge
// Engine.IO message).
type EndlessBody struct {
	left  int64
	first byte
	sent  atomic.Int64
}

// NewEndlessBody is a body of n bytes, the first one first (0: 'a' too).
func NewEndlessBody(n int64, first byte) *EndlessBody { return &EndlessBody{left: n, first: first} }

func (b *EndlessBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, io.EOF
	}
	n := min(int64(len(p)), b.left)
	for i := range p[:n] {
		p[i] = 'a'
	}
	if b.first != 0 && b.sent.Load() == 0 {
		p[0] = b.first
	}
	b.left -= n
	b.sent.Add(n)
	return int(n), nil
}

// Sent is how many bytes the client has read from the body so far.
func (b *EndlessBody) Sent() int64 { return b.sent.Load() }

// SendRaw dials base (http://host:port) and writes head as it is (a request
// line and headers, and a body or part of one); the test reads the answer
// from the connection, which is closed when the test ends.
func SendRaw(t testing.TB, base, head string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatalf("testkit: write %d bytes to %s: %v", len(head), base, err)
	}
	return conn
}

// Trickle sends head, then body one byte every interval, and reports how long
// the server took to answer or close the connection (capped at limit: then it
// is still reading) and what it did: its status line, or "closed: …".
func Trickle(t testing.TB, base, head string, body []byte, interval, limit time.Duration) (time.Duration, string) {
	t.Helper()
	start := time.Now()
	conn := SendRaw(t, base, head)
	defer conn.Close()
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
					return time.Since(start), fmt.Sprintf("closed: %v", err)
				}
				i++
			}
		}
	}
}

// OpenEngineWebsocket opens an Engine.IO 4 websocket at base and reads its
// open packet, and does nothing more: no CONNECT, no pong. It is for a test
// that writes what no client would (a flood of CONNECTs, say) and reads the
// answers itself; the websocket is closed when the test ends.
func OpenEngineWebsocket(t testing.TB, base string) (conn *ws.Conn, sid string) {
	t.Helper()
	u := fmt.Sprintf("ws%s/socket.io/?EIO=4&transport=websocket", strings.TrimPrefix(base, "http"))
	conn, _, err := ws.DefaultDialer.Dial(u, nil)
	if err != nil {
		t.Fatalf("testkit: dial %s: %v", u, err)
	}
	t.Cleanup(func() { conn.Close() })
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, msg, err := conn.ReadMessage()
	_ = conn.SetReadDeadline(time.Time{})
	var hs struct {
		Sid string `json:"sid"`
	}
	if err != nil || len(msg) == 0 || msg[0] != '0' || json.Unmarshal(msg[1:], &hs) != nil || hs.Sid == "" {
		t.Fatalf("testkit: engine.io open packet %q: %v", msg, err)
	}
	return conn, hs.Sid
}
