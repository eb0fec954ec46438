package wstransport

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	ws "github.com/gorilla/websocket"
	"github.com/zishang520/engine.io/v2/transports"
	"github.com/zishang520/engine.io/v2/types"
	"github.com/zishang520/socket.io/v2/socket"
)

// switchingBuilder is registered once for the whole test binary and forwards
// to the builder chosen by the running test. Writing the engine's registry map
// per test would race with connection goroutines of the previous test.
type switchingBuilder struct {
	current atomic.Pointer[transports.TransportCtor]
}

func (s *switchingBuilder) ctor() transports.TransportCtor { return *s.current.Load() }

func (s *switchingBuilder) New(ctx *types.HttpContext) transports.Transport { return s.ctor().New(ctx) }
func (s *switchingBuilder) HandlesUpgrades() bool                           { return true }
func (s *switchingBuilder) UpgradesTo() *types.Set[string]                  { return types.NewSet[string]() }

var (
	registerSwitch sync.Once
	testBuilder    = &switchingBuilder{}
)

// useTransport makes ctor build the websocket transports of one test. Tests
// using it must not run in parallel.
func useTransport(t testing.TB, ctor transports.TransportCtor) {
	t.Helper()
	testBuilder.current.Store(&ctor)
	registerSwitch.Do(func() {
		transports.Transports()[transports.WEBSOCKET] = testBuilder
	})
}

// testServer is a socket.io server on an httptest server.
type testServer struct {
	io   *socket.Server
	http *httptest.Server
	// handled holds the engine ids of connections whose onConnect has run.
	handled sync.Map
}

// waitHandled waits until onConnect has run for the connection sid. The
// library writes the CONNECT reply before it registers the socket and runs the
// "connection" handlers, so a client that acts on the reply alone can race
// them (an event before s.On, a broadcast before s.Join). The Socket.IO door
// closes that window with its connect gate; these tests wait instead.
func (s *testServer) waitHandled(t testing.TB, sid string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, ok := s.handled.Load(sid); ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("onConnect did not run for %s", sid)
		}
		time.Sleep(time.Millisecond)
	}
}

// startServer starts socket.io with onConnect run for every connecting socket.
func startServer(t testing.TB, configure func(*socket.ServerOptions), onConnect func(*socket.Socket)) *testServer {
	t.Helper()
	opts := socket.DefaultServerOptions()
	if configure != nil {
		configure(opts)
	}
	io := socket.NewServer(nil, opts)
	ts := &testServer{io: io}
	io.On("connection", func(args ...any) {
		s := args[0].(*socket.Socket)
		onConnect(s)
		ts.handled.Store(s.Conn().Id(), true)
	})
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", io.ServeHandler(opts))
	ts.http = httptest.NewServer(mux)
	t.Cleanup(func() {
		io.Close(nil)
		ts.http.Close()
	})
	return ts
}

func (s *testServer) wsURL(query string) string {
	return "ws" + strings.TrimPrefix(s.http.URL, "http") + "/socket.io/?" + query
}

// event is one socket.io event received by a raw client.
type event struct {
	Name string
	Args []json.RawMessage
}

// rawClient speaks Engine.IO v4 / Socket.IO v5 by hand over gorilla. It stays
// here rather than being the test kit's client (testkit.Client; the kit imports
// none of the server, so there is no cycle): these tests are of the transport
// itself, and need a client the kit's would hide, one that does not read until
// told to (startReading) with a shrunk kernel receive buffer (a slow reader
// fills up), that counts frames and reports the first unexpected one. The
// kit's client reads everything at once and answers pings by itself.
type rawClient struct {
	conn    *ws.Conn
	writeMu sync.Mutex
	events  chan event
	closed  chan struct{}
	// protocolErr records the first unexpected frame seen by the read loop.
	protocolErr chan error
}

// dialRaw opens a websocket; readBuffer > 0 shrinks the client's kernel
// receive buffer so a client that does not read fills up quickly.
func dialRaw(t testing.TB, url string, readBuffer int) *ws.Conn {
	t.Helper()
	dialer := ws.Dialer{HandshakeTimeout: 5 * time.Second}
	if readBuffer > 0 {
		dialer.NetDial = func(network, addr string) (net.Conn, error) {
			c, err := net.Dial(network, addr)
			if err != nil {
				return nil, err
			}
			if err := c.(*net.TCPConn).SetReadBuffer(readBuffer); err != nil {
				return nil, err
			}
			return c, nil
		}
	}
	conn, _, err := dialer.Dial(url, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// connectV4 performs the Engine.IO open and Socket.IO connect handshakes and
// returns the engine session id. The client does not read afterwards unless
// startReading is called.
func connectV4(t testing.TB, srv *testServer, readBuffer int) (*rawClient, string) {
	t.Helper()
	c, sid, err := tryConnectV4(t, srv, readBuffer)
	if err != nil {
		t.Fatal(err)
	}
	return c, sid
}

// tryConnectV4 is connectV4 that returns, rather than fails on, a CONNECT
// reply that does not come within 5 s (the stock transport's test retries).
func tryConnectV4(t testing.TB, srv *testServer, readBuffer int) (*rawClient, string, error) {
	t.Helper()
	conn := dialRaw(t, srv.wsURL("EIO=4&transport=websocket"), readBuffer)
	sid := readOpen(t, conn)
	c := newRawClient(conn)
	c.send(t, "40")
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	kind, connected, err := conn.ReadMessage()
	conn.SetReadDeadline(time.Time{})
	if err != nil {
		conn.Close()
		return nil, "", fmt.Errorf("read connect reply: %w", err)
	}
	if kind != ws.TextMessage || !strings.HasPrefix(string(connected), "40{") {
		t.Fatalf("connect reply = %d %q, want text 40{...}", kind, connected)
	}
	srv.waitHandled(t, sid)
	return c, sid, nil
}

// readOpen reads the Engine.IO open packet and returns its session id.
func readOpen(t testing.TB, conn *ws.Conn) string {
	t.Helper()
	open := readText(t, conn, "open packet")
	if !strings.HasPrefix(open, "0{") {
		t.Fatalf("open packet = %q, want 0{...}", open)
	}
	var handshake struct {
		Sid string `json:"sid"`
	}
	if err := json.Unmarshal([]byte(open[1:]), &handshake); err != nil || handshake.Sid == "" {
		t.Fatalf("open packet %q: sid missing (%v)", open, err)
	}
	return handshake.Sid
}

func newRawClient(conn *ws.Conn) *rawClient {
	return &rawClient{
		conn:        conn,
		events:      make(chan event, 1<<16),
		closed:      make(chan struct{}),
		protocolErr: make(chan error, 1),
	}
}

func readText(t testing.TB, conn *ws.Conn, what string) string {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	defer conn.SetReadDeadline(time.Time{})
	kind, data, err := conn.ReadMessage()
	if err != nil {
		t.Fatalf("read %s: %v", what, err)
	}
	if kind != ws.TextMessage {
		t.Fatalf("frame type = %d, want text", kind)
	}
	return string(data)
}

func (c *rawClient) send(t testing.TB, frame string) {
	t.Helper()
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if err := c.conn.WriteMessage(ws.TextMessage, []byte(frame)); err != nil {
		t.Errorf("write %q: %v", frame, err)
	}
}

// emit sends a socket.io event with JSON-encodable args.
func (c *rawClient) emit(t testing.TB, name string, args ...any) {
	t.Helper()
	payload, err := json.Marshal(append([]any{name}, args...))
	if err != nil {
		t.Fatalf("marshal event: %v", err)
	}
	c.send(t, "42"+string(payload))
}

// startReading answers pings and decodes events until the connection ends.
// pong is the engine ping reply ("3" for EIO4 where the server pings).
func (c *rawClient) startReading() {
	go func() {
		defer close(c.closed)
		for {
			_, r, err := c.conn.NextReader()
			if err != nil {
				return
			}
			data, err := io.ReadAll(r)
			if err != nil {
				return
			}
			frame := string(data)
			switch {
			case frame == "2":
				c.writeMu.Lock()
				c.conn.WriteMessage(ws.TextMessage, []byte("3"))
				c.writeMu.Unlock()
			case strings.HasPrefix(frame, "42"):
				var raw []json.RawMessage
				if err := json.Unmarshal(data[2:], &raw); err != nil || len(raw) == 0 {
					c.reportProtocolErr(fmt.Errorf("bad event frame %q: %v", frame, err))
					continue
				}
				var name string
				json.Unmarshal(raw[0], &name)
				c.events <- event{Name: name, Args: raw[1:]}
			case frame == "3" || frame == "6":
			default:
				c.reportProtocolErr(fmt.Errorf("unexpected frame %q", frame))
			}
		}
	}()
}

func (c *rawClient) reportProtocolErr(err error) {
	select {
	case c.protocolErr <- err:
	default:
	}
}

// nextEvent waits for the next event or fails the test after timeout.
func (c *rawClient) nextEvent(t testing.TB, timeout time.Duration) (event, bool) {
	t.Helper()
	select {
	case ev := <-c.events:
		return ev, true
	case err := <-c.protocolErr:
		t.Fatalf("protocol error: %v", err)
	case <-time.After(timeout):
	}
	return event{}, false
}

// argString decodes the event's i-th argument as a string.
func argString(t testing.TB, ev event, i int) string {
	t.Helper()
	if i >= len(ev.Args) {
		t.Fatalf("event %q has %d args, want > %d", ev.Name, len(ev.Args), i)
	}
	var s string
	if err := json.Unmarshal(ev.Args[i], &s); err != nil {
		t.Fatalf("event %q arg %d = %s: %v", ev.Name, i, ev.Args[i], err)
	}
	return s
}

// startCounting is a cheap reader for load tests: it answers pings and counts
// event frames of exactly frameLen bytes into count, and others into bad.
func (c *rawClient) startCounting(frameLen int, count, bad *atomic.Int64) {
	go func() {
		defer close(c.closed)
		buf := make([]byte, frameLen+64)
		for {
			_, r, err := c.conn.NextReader()
			if err != nil {
				return
			}
			n, err := io.ReadFull(r, buf)
			if err != nil && err != io.ErrUnexpectedEOF {
				return
			}
			switch {
			case n == 1 && buf[0] == '2':
				c.writeMu.Lock()
				c.conn.WriteMessage(ws.TextMessage, []byte("3"))
				c.writeMu.Unlock()
			case n == frameLen && string(buf[:2]) == "42":
				count.Add(1)
			default:
				bad.Add(1)
			}
		}
	}()
}
