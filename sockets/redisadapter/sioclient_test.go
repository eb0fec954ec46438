package redisadapter

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	ws "github.com/gorilla/websocket"
)

// wsClient is a minimal Socket.IO v4 client over one websocket (main namespace),
// enough to see which events arrive and how often.
type wsClient struct {
	t    *testing.T
	conn *ws.Conn
	wmu  sync.Mutex

	mu     sync.Mutex
	events []json.RawMessage // each a JSON array [name, args...]
	sid    string
}

func dialClient(t *testing.T, baseURL, query string) *wsClient {
	t.Helper()
	url := "ws" + strings.TrimPrefix(baseURL, "http") + "/socket.io/?EIO=4&transport=websocket&" + query
	conn, _, err := ws.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	c := &wsClient{t: t, conn: conn}
	t.Cleanup(func() { _ = conn.Close() })
	// Wait for the Engine.IO open packet before the namespace CONNECT.
	if _, open, err := conn.ReadMessage(); err != nil || !strings.HasPrefix(string(open), "0") {
		t.Fatalf("no Engine.IO open packet: %q %v", open, err)
	}
	connected := make(chan string, 1)
	go c.read(connected)
	// The library's websocket transport starts reading before its engine socket
	// listens (a race in engine.io v2.5.0), so a CONNECT sent too early can be
	// dropped: give it a moment, and send it again if no answer comes.
	time.Sleep(50 * time.Millisecond)
	deadline := time.After(5 * time.Second)
	for c.sid == "" {
		c.write("40")
		select {
		case c.sid = <-connected:
		case <-time.After(time.Second):
		case <-deadline:
			t.Fatal("no CONNECT answer")
		}
	}
	return c
}

func (c *wsClient) write(s string) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.conn.WriteMessage(ws.TextMessage, []byte(s))
}

func (c *wsClient) read(connected chan<- string) {
	for {
		_, msg, err := c.conn.ReadMessage()
		if err != nil {
			return
		}
		s := string(msg)
		if testing.Verbose() {
			c.t.Logf("recv %q", s)
		}
		switch {
		case s == "2":
			c.write("3")
		case strings.HasPrefix(s, "40"):
			var ok struct{ Sid string }
			_ = json.Unmarshal([]byte(s[2:]), &ok)
			connected <- ok.Sid
		case strings.HasPrefix(s, "42"):
			c.mu.Lock()
			c.events = append(c.events, json.RawMessage(s[2:]))
			c.mu.Unlock()
		}
	}
}

// count returns how many events named name arrived, and the last one.
func (c *wsClient) count(name string) (int, []any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	var last []any
	for _, raw := range c.events {
		var ev []any
		if json.Unmarshal(raw, &ev) == nil && len(ev) > 0 && ev[0] == name {
			n++
			last = ev
		}
	}
	return n, last
}

func (c *wsClient) waitFor(name string, n int) []any {
	c.t.Helper()
	var last []any
	eventually(c.t, 5*time.Second, "event "+name, func() bool {
		var got int
		got, last = c.count(name)
		return got >= n
	})
	return last
}

var _ = httptest.NewServer
