package sockets_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	ws "github.com/gorilla/websocket"
)

// sioEvent is one Socket.IO event a test client received.
type sioEvent struct {
	Name string
	Args []json.RawMessage
}

// arg decodes the event's first argument into a map.
func (e sioEvent) arg(t testing.TB) map[string]any {
	t.Helper()
	if len(e.Args) == 0 {
		t.Fatalf("event %s has no argument", e.Name)
	}
	var m map[string]any
	if err := json.Unmarshal(e.Args[0], &m); err != nil {
		t.Fatalf("event %s argument is not an object: %s", e.Name, e.Args[0])
	}
	return m
}

// sioClient speaks Engine.IO 4 (or 3) and Socket.IO by hand over one websocket,
// connected to one namespace.
type sioClient struct {
	t      testing.TB
	conn   *ws.Conn
	nsp    string
	eio    int
	wmu    sync.Mutex
	events chan sioEvent
	closed chan struct{}
	// closeErr is the read error that ended the connection (a *ws.CloseError
	// for a close frame); set before closed is closed.
	closeErr error

	mu     sync.Mutex
	nextID int
	acks   map[int]chan []json.RawMessage
}

type dialOpts struct {
	nsp    string
	eio    int
	query  string
	header http.Header
	auth   any // CONNECT payload (EIO=4)
}

// dialSIO connects and performs the namespace CONNECT. It returns the client and
// the CONNECT answer: for success the packet data, for CONNECT_ERROR an error.
func dialSIO(t testing.TB, a *app, o dialOpts) (*sioClient, map[string]any, error) {
	t.Helper()
	if o.eio == 0 {
		o.eio = 4
	}
	if o.nsp == "" {
		o.nsp = "/"
	}
	u := a.wsURL(fmt.Sprintf("/socket.io/?EIO=%d&transport=websocket", o.eio))
	if o.query != "" {
		u += "&" + o.query
	}
	conn, _, err := ws.DefaultDialer.Dial(u, o.header)
	if err != nil {
		t.Fatalf("dial %s: %v", u, err)
	}
	c := &sioClient{t: t, conn: conn, nsp: o.nsp, eio: o.eio, events: make(chan sioEvent, 4096),
		closed: make(chan struct{}), acks: map[int]chan []json.RawMessage{}}
	t.Cleanup(func() { _ = conn.Close() })
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, open, err := conn.ReadMessage()
	if err != nil || len(open) == 0 || open[0] != '0' {
		t.Fatalf("engine.io open: %q %v", open, err)
	}
	if o.eio == 4 || o.nsp != "/" {
		pkt := "40"
		if o.nsp != "/" {
			pkt += o.nsp
			if o.eio == 3 && o.query != "" {
				pkt += "?" + o.query
			}
			pkt += ","
		}
		if o.auth != nil && o.eio == 4 {
			b, _ := json.Marshal(o.auth)
			pkt += string(b)
		}
		c.writeRaw(pkt)
	}
	for {
		_, msg, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("waiting for CONNECT: %v", err)
		}
		s := string(msg)
		if s == "2" {
			c.writeRaw("3")
			continue
		}
		if !strings.HasPrefix(s, "4") || len(s) < 2 {
			continue
		}
		if s[1] == '2' { // events sent before CONNECT (recovered packets)
			c.pushEvent(s)
			continue
		}
		kind, rest := s[1], c.stripNsp(s[2:])
		switch kind {
		case '0':
			_ = conn.SetReadDeadline(time.Time{})
			go c.readLoop()
			var data map[string]any
			_ = json.Unmarshal([]byte(rest), &data)
			return c, data, nil
		case '4':
			var data map[string]any
			if err := json.Unmarshal([]byte(rest), &data); err != nil {
				var s string
				_ = json.Unmarshal([]byte(rest), &s)
				return nil, nil, fmt.Errorf("connect_error: %s", s)
			}
			b, _ := json.Marshal(data)
			return nil, data, fmt.Errorf("connect_error: %s", b)
		}
	}
}

// mustDial connects or fails the test.
func mustDial(t testing.TB, a *app, o dialOpts) *sioClient {
	t.Helper()
	c, _, err := dialSIO(t, a, o)
	if err != nil {
		t.Fatalf("connect %s: %v", o.nsp, err)
	}
	return c
}

func (c *sioClient) stripNsp(s string) string {
	if strings.HasPrefix(s, "/") {
		if i := strings.IndexByte(s, ','); i >= 0 {
			return s[i+1:]
		}
		return ""
	}
	return s
}

func (c *sioClient) writeRaw(s string) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.conn.WriteMessage(ws.TextMessage, []byte(s))
}

func (c *sioClient) prefix() string {
	if c.nsp == "/" {
		return ""
	}
	return c.nsp + ","
}

// emit sends an event without ack.
func (c *sioClient) emit(event string, args ...any) {
	b, _ := json.Marshal(append([]any{event}, args...))
	c.writeRaw("42" + c.prefix() + string(b))
}

// emitRaw sends an event whose argument list is given as raw JSON.
func (c *sioClient) emitRaw(event, rawArgs string) {
	name, _ := json.Marshal(event)
	c.writeRaw("42" + c.prefix() + "[" + string(name) + "," + rawArgs + "]")
}

// call emits with an ack and waits for it.
func (c *sioClient) call(event string, args ...any) map[string]any {
	c.t.Helper()
	c.mu.Lock()
	id := c.nextID
	c.nextID++
	ch := make(chan []json.RawMessage, 1)
	c.acks[id] = ch
	c.mu.Unlock()
	b, _ := json.Marshal(append([]any{event}, args...))
	c.writeRaw("42" + c.prefix() + strconv.Itoa(id) + string(b))
	select {
	case res := <-ch:
		if len(res) == 0 {
			c.t.Fatalf("%s: empty ack", event)
		}
		var m map[string]any
		if err := json.Unmarshal(res[0], &m); err != nil {
			c.t.Fatalf("%s: ack is not an object: %s", event, res[0])
		}
		return m
	case <-time.After(5 * time.Second):
		c.t.Fatalf("%s: no ack", event)
		return nil
	}
}

func (c *sioClient) readLoop() {
	defer close(c.closed)
	for {
		_, msg, err := c.conn.ReadMessage()
		if err != nil {
			c.closeErr = err
			return
		}
		s := string(msg)
		switch {
		case s == "2":
			c.writeRaw("3")
		case strings.HasPrefix(s, "42"):
			c.pushEvent(s)
		case strings.HasPrefix(s, "41"):
			// A server DISCONNECT of the namespace, seen as an event by tests.
			c.events <- sioEvent{Name: "disconnect"}
		case strings.HasPrefix(s, "43"):
			rest := c.stripNsp(s[2:])
			i := strings.IndexByte(rest, '[')
			if i < 0 {
				continue
			}
			id, _ := strconv.Atoi(rest[:i])
			var arr []json.RawMessage
			_ = json.Unmarshal([]byte(rest[i:]), &arr)
			c.mu.Lock()
			ch := c.acks[id]
			delete(c.acks, id)
			c.mu.Unlock()
			if ch != nil {
				ch <- arr
			}
		}
	}
}

func (c *sioClient) pushEvent(s string) {
	var arr []json.RawMessage
	if err := json.Unmarshal([]byte(c.stripNsp(s[2:])), &arr); err != nil || len(arr) == 0 {
		return
	}
	var name string
	_ = json.Unmarshal(arr[0], &name)
	c.events <- sioEvent{Name: name, Args: arr[1:]}
}

// next waits for the next event named name, skipping others.
func (c *sioClient) next(name string) sioEvent {
	c.t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case ev := <-c.events:
			if ev.Name == name {
				return ev
			}
		case <-deadline:
			c.t.Fatalf("no %q event on %s", name, c.nsp)
			return sioEvent{}
		}
	}
}

// none asserts that no event named name arrives within d.
func (c *sioClient) none(name string, d time.Duration) {
	c.t.Helper()
	deadline := time.After(d)
	for {
		select {
		case ev := <-c.events:
			if ev.Name == name {
				c.t.Fatalf("unexpected %q event: %s", name, ev.Args)
			}
		case <-deadline:
			return
		}
	}
}

func (c *sioClient) close() { _ = c.conn.Close() }
