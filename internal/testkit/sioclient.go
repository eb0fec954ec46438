package testkit

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	ws "github.com/gorilla/websocket"
)

// Event is one Socket.IO event a Client received. A server DISCONNECT of the
// namespace arrives as an Event named "disconnect".
type Event struct {
	Name string
	Args []json.RawMessage
}

// Arg decodes the event's first argument as a JSON object.
func (e Event) Arg(t testing.TB) map[string]any {
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

// DialOptions says how a Client connects.
type DialOptions struct {
	Namespace string      // default "/"
	EIO       int         // Engine.IO protocol, 4 (default) or 3
	Polling   bool        // long-polling instead of websocket
	Query     string      // more query parameters (e.g. "token=…")
	Header    http.Header // request headers (websocket handshake, every poll)
	Auth      any         // the CONNECT payload (EIO 4), e.g. map[string]string{"token": t}
	// Record keeps every event for Count and WaitCount (off: a busy client's
	// events would pile up in the test's heap).
	Record bool
	// ResendConnect sends the CONNECT again when no answer came within it (0:
	// never): the library's own websocket transport can drop a CONNECT sent
	// right after the open packet (a race in engine.io v2.5.0).
	ResendConnect time.Duration
	// PollVia, with Polling: the bases every request after the handshake goes
	// to, each in turn (instances of a cluster without sticky sessions); the
	// handshake goes to Dial's base. Empty: every request goes to that base.
	PollVia []string
	// UpgradeVia, with Polling: after the CONNECT over polling, upgrade the
	// session to a websocket at this base (probe, then upgrade packet), as
	// socket.io-client does by default; the client then speaks websocket.
	UpgradeVia string
	// BeforeConnect, when set, is called with each event that arrives before
	// the CONNECT answer (packets a recovered session replays), refused or not.
	BeforeConnect func(Event)
}

// Client speaks Engine.IO 4 or 3 and Socket.IO by hand over a websocket or
// long-polling, connected to one namespace. It answers pings, queues events
// for Next and counts them for Count.
type Client struct {
	t   testing.TB
	tr  transport
	nsp string
	eio int
	SID string // the Engine.IO session id
	// SocketID is the Socket.IO socket id the CONNECT answer named (EIO 4).
	SocketID string
	events   chan Event
	// Closed is closed when the connection ends; CloseErr says why.
	Closed   chan struct{}
	closeErr error

	mu     sync.Mutex
	nextID int
	acks   map[int]chan []json.RawMessage
	seen   []Event
	keep   bool
	// engineClosed: the server sent an Engine.IO CLOSE packet.
	engineClosed bool
	pings        int
	// connects gets the answers to ConnectAlso ("40/nsp,…", "44/nsp,…").
	connects chan string
}

// ErrEngineClose is the CloseErr of a polling session the server ended with an Engine.IO CLOSE packet.
var ErrEngineClose = errors.New("engine.io close packet")

// Dial connects to base (http://host:port) and performs the namespace CONNECT.
// It returns the client and the CONNECT answer: for success the packet's data,
// for CONNECT_ERROR its data and an error naming it.
func Dial(t testing.TB, base string, o DialOptions) (*Client, map[string]any, error) {
	t.Helper()
	if o.EIO == 0 {
		o.EIO = 4
	}
	if o.Namespace == "" {
		o.Namespace = "/"
	}
	var (
		tr   transport
		open string
		err  error
	)
	if o.Polling {
		tr, open, err = openPolling(base, o)
	} else {
		tr, open, err = openWebsocket(base, o)
	}
	if err != nil {
		t.Fatalf("testkit: open an Engine.IO session at %s: %v", base, err)
	}
	t.Cleanup(tr.close)
	var hs struct {
		Sid string `json:"sid"`
	}
	if !strings.HasPrefix(open, "0") || json.Unmarshal([]byte(open[1:]), &hs) != nil {
		t.Fatalf("testkit: engine.io open packet %q", open)
	}
	c := &Client{t: t, tr: tr, nsp: o.Namespace, eio: o.EIO, SID: hs.Sid, events: make(chan Event, 4096), keep: o.Record,
		Closed: make(chan struct{}), acks: map[int]chan []json.RawMessage{}, connects: make(chan string, 16)}
	connect := ""
	// EIO 3 connects "/" by itself; any other namespace, and every EIO 4 one, is asked for.
	if o.EIO == 4 || o.Namespace != "/" {
		connect = "40"
		if o.Namespace != "/" {
			connect += o.Namespace
			if o.EIO == 3 && o.Query != "" {
				connect += "?" + o.Query
			}
			connect += ","
		}
		if o.Auth != nil && o.EIO == 4 {
			b, _ := json.Marshal(o.Auth)
			connect += string(b)
		}
		c.WriteRaw(connect)
	}
	resend := time.Now().Add(o.ResendConnect)
	deadline := time.Now().Add(5 * time.Second)
	for {
		if time.Now().After(deadline) {
			t.Fatalf("testkit: no CONNECT answer on %s", o.Namespace)
		}
		wait := time.Until(deadline)
		if o.ResendConnect > 0 && connect != "" {
			if time.Now().After(resend) {
				c.WriteRaw(connect)
				resend = time.Now().Add(o.ResendConnect)
			}
			wait = min(wait, time.Until(resend))
		}
		s, err := tr.read(wait)
		if errors.Is(err, errReadTimeout) {
			continue
		}
		if err != nil {
			t.Fatalf("testkit: waiting for CONNECT: %v", err)
		}
		if s == "2" {
			c.WriteRaw("3")
			continue
		}
		if !strings.HasPrefix(s, "4") || len(s) < 2 {
			continue
		}
		if s[1] == '2' { // events sent before CONNECT (recovered packets)
			if ev, ok := parseEvent(s); ok && o.BeforeConnect != nil {
				o.BeforeConnect(ev)
			}
			c.pushEvent(s)
			continue
		}
		kind, rest := s[1], stripNamespace(s[2:])
		switch kind {
		case '0':
			if o.Polling && o.UpgradeVia != "" {
				ws, err := upgradeToWebsocket(tr.(*pollTransport), o)
				if err != nil {
					t.Fatalf("testkit: upgrade through %s: %v", o.UpgradeVia, err)
				}
				t.Cleanup(ws.close)
				c.tr = ws
			}
			go c.readLoop()
			var data map[string]any
			_ = json.Unmarshal([]byte(rest), &data)
			c.SocketID, _ = data["sid"].(string)
			return c, data, nil
		case '4':
			var data map[string]any
			if err := json.Unmarshal([]byte(rest), &data); err != nil {
				var msg string
				_ = json.Unmarshal([]byte(rest), &msg)
				return nil, nil, fmt.Errorf("connect_error: %s", msg)
			}
			b, _ := json.Marshal(data)
			return nil, data, fmt.Errorf("connect_error: %s", b)
		}
	}
}

// MustDial connects or fails the test.
func MustDial(t testing.TB, base string, o DialOptions) *Client {
	t.Helper()
	c, _, err := Dial(t, base, o)
	if err != nil {
		t.Fatalf("testkit: connect %s: %v", o.Namespace, err)
	}
	return c
}

// stripNamespace drops a leading "/nsp," from a packet's rest.
func stripNamespace(s string) string {
	if strings.HasPrefix(s, "/") {
		if i := strings.IndexByte(s, ','); i >= 0 {
			return s[i+1:]
		}
		return ""
	}
	return s
}

// ConnectAlso connects another namespace over the same Engine.IO connection
// (as socket.io-client's Manager does for a second socket), with auth (EIO 4;
// nil: none), and returns the answer's data; a CONNECT_ERROR is an error. The
// client's own events stay those of its first namespace.
func (c *Client) ConnectAlso(nsp string, auth any) (map[string]any, error) {
	packet := "40" + nsp + ","
	if auth != nil {
		b, _ := json.Marshal(auth)
		packet += string(b)
	}
	c.WriteRaw(packet)
	deadline := time.After(5 * time.Second)
	for {
		select {
		case s := <-c.connects:
			if !strings.HasPrefix(s[2:], nsp+",") {
				continue
			}
			var data map[string]any
			_ = json.Unmarshal([]byte(stripNamespace(s[2:])), &data)
			if s[1] == '4' {
				return data, fmt.Errorf("connect_error on %s: %s", nsp, stripNamespace(s[2:]))
			}
			return data, nil
		case <-c.Closed:
			return nil, fmt.Errorf("connection ended before the CONNECT answer of %s: %v", nsp, c.closeErr)
		case <-deadline:
			return nil, fmt.Errorf("no CONNECT answer on %s", nsp)
		}
	}
}

// WriteRaw sends one Engine.IO packet as it is (e.g. "42[\"x\"]").
func (c *Client) WriteRaw(s string) { _ = c.tr.write(s) }

func (c *Client) prefix() string {
	if c.nsp == "/" {
		return ""
	}
	return c.nsp + ","
}

// Emit sends an event without ack.
func (c *Client) Emit(event string, args ...any) {
	b, _ := json.Marshal(append([]any{event}, args...))
	c.WriteRaw("42" + c.prefix() + string(b))
}

// EmitRaw sends an event whose argument list is given as raw JSON.
func (c *Client) EmitRaw(event, rawArgs string) {
	name, _ := json.Marshal(event)
	c.WriteRaw("42" + c.prefix() + "[" + string(name) + "," + rawArgs + "]")
}

// CallRaw emits with an ack id and returns the ack's arguments, or false when
// none came within timeout or the connection ended first.
func (c *Client) CallRaw(timeout time.Duration, event string, args ...any) ([]json.RawMessage, bool) {
	c.mu.Lock()
	id := c.nextID
	c.nextID++
	ch := make(chan []json.RawMessage, 1)
	c.acks[id] = ch
	c.mu.Unlock()
	b, _ := json.Marshal(append([]any{event}, args...))
	c.WriteRaw("42" + c.prefix() + strconv.Itoa(id) + string(b))
	select {
	case res := <-ch:
		return res, true
	case <-c.Closed:
		select { // an ack read just before the end
		case res := <-ch:
			return res, true
		default:
			return nil, false
		}
	case <-time.After(timeout):
		return nil, false
	}
}

// Call emits with an ack and returns the ack's first argument, an object; it
// fails the test when none comes within 5 s.
func (c *Client) Call(event string, args ...any) map[string]any {
	c.t.Helper()
	res, ok := c.CallRaw(5*time.Second, event, args...)
	if !ok {
		c.t.Fatalf("%s: no ack", event)
	}
	if len(res) == 0 {
		c.t.Fatalf("%s: empty ack", event)
	}
	var m map[string]any
	if err := json.Unmarshal(res[0], &m); err != nil {
		c.t.Fatalf("%s: ack is not an object: %s", event, res[0])
	}
	return m
}

func (c *Client) readLoop() {
	defer close(c.Closed)
	for {
		s, err := c.tr.read(0)
		if err != nil {
			c.closeErr = err
			return
		}
		switch {
		case s == "2":
			c.mu.Lock()
			c.pings++
			c.mu.Unlock()
			c.WriteRaw("3")
		case s == "1":
			// A websocket still ends with the server's close frame; a polling
			// session has nothing more to fetch.
			c.mu.Lock()
			c.engineClosed = true
			c.mu.Unlock()
			if _, polling := c.tr.(*pollTransport); polling {
				c.closeErr = ErrEngineClose
				c.tr.close()
				return
			}
		case strings.HasPrefix(s, "40/"), strings.HasPrefix(s, "44/"):
			select {
			case c.connects <- s:
			default:
			}
		case strings.HasPrefix(s, "42"):
			c.pushEvent(s)
		case strings.HasPrefix(s, "41"):
			c.record(Event{Name: "disconnect"})
		case strings.HasPrefix(s, "43"):
			rest := stripNamespace(s[2:])
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

func (c *Client) pushEvent(s string) {
	if ev, ok := parseEvent(s); ok {
		c.record(ev)
	}
}

// parseEvent reads an EVENT packet ("42[…]", a namespace or not).
func parseEvent(s string) (Event, bool) {
	var arr []json.RawMessage
	if err := json.Unmarshal([]byte(stripNamespace(s[2:])), &arr); err != nil || len(arr) == 0 {
		return Event{}, false
	}
	var name string
	_ = json.Unmarshal(arr[0], &name)
	return Event{Name: name, Args: arr[1:]}, true
}

func (c *Client) record(ev Event) {
	if c.keep {
		c.mu.Lock()
		c.seen = append(c.seen, ev)
		c.mu.Unlock()
	}
	c.events <- ev
}

// CloseErr waits for the connection to end and says why: the transport's read
// error (a *websocket.CloseError for a close frame).
func (c *Client) CloseErr() error {
	<-c.Closed
	return c.closeErr
}

// EngineClosed reports whether the server sent an Engine.IO CLOSE packet.
func (c *Client) EngineClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.engineClosed
}

// Pings is how many Engine.IO pings the server sent since the CONNECT (each answered with a pong).
func (c *Client) Pings() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pings
}

// Events is every event as it arrives (Next and None read it too).
func (c *Client) Events() <-chan Event { return c.events }

// LockWrites holds off the client's own writes (pongs, emits) until unlock, so a
// test writing to Conn does not interleave with them.
func (c *Client) LockWrites() (unlock func()) {
	if t, ok := c.tr.(*wsTransport); ok {
		t.wmu.Lock()
		return t.wmu.Unlock
	}
	return func() {}
}

// Conn is the websocket under a websocket client (nil over polling), for
// tests that write frames no client would.
func (c *Client) Conn() *ws.Conn {
	if t, ok := c.tr.(*wsTransport); ok {
		return t.conn
	}
	return nil
}

// Next waits up to 5 s for the next event named name, skipping others.
func (c *Client) Next(name string) Event {
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
			return Event{}
		}
	}
}

// None asserts that no event named name arrives within d.
func (c *Client) None(name string, d time.Duration) {
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

// Count is how many events named name arrived so far (Next does not take them
// from it), and the last of them; the client must dial with Record.
func (c *Client) Count(name string) (int, Event) {
	if !c.keep {
		c.t.Fatal("testkit: Count needs DialOptions.Record")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	n, last := 0, Event{}
	for _, ev := range c.seen {
		if ev.Name == name {
			n, last = n+1, ev
		}
	}
	return n, last
}

// WaitCount waits up to 5 s until n events named name arrived, and returns the last.
func (c *Client) WaitCount(name string, n int) Event {
	c.t.Helper()
	var last Event
	Eventually(c.t, 5*time.Second, "event "+name, func() bool {
		var got int
		got, last = c.Count(name)
		return got >= n
	})
	return last
}

// Close ends the connection from the client's side.
func (c *Client) Close() { c.tr.close() }
