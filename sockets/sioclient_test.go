package sockets_test

import (
	"net/http"
	"testing"
	"time"

	ws "github.com/gorilla/websocket"

	"github.com/izpochat/server/internal/testkit"
)

// sioEvent is one Socket.IO event a test client received.
type sioEvent = testkit.Event

// sioClient is the test kit's Engine.IO/Socket.IO client connected to one
// namespace, with the names these tests use.
type sioClient struct {
	*testkit.Client
	t      testing.TB
	nsp    string
	conn   *ws.Conn // the websocket, for tests that write frames no client would
	closed chan struct{}
	events <-chan sioEvent
}

type dialOpts struct {
	nsp    string
	eio    int
	query  string
	header http.Header
	auth   any // CONNECT payload (EIO=4)
}

// dialSIO connects over websocket and performs the namespace CONNECT. It
// returns the client and the CONNECT answer: for success the packet data, for
// CONNECT_ERROR an error.
func dialSIO(t testing.TB, a *app, o dialOpts) (*sioClient, map[string]any, error) {
	t.Helper()
	c, data, err := testkit.Dial(t, a.srv.URL, testkit.DialOptions{Namespace: o.nsp, EIO: o.eio, Query: o.query, Header: o.header, Auth: o.auth})
	if err != nil {
		return nil, data, err
	}
	if o.nsp == "" {
		o.nsp = "/"
	}
	return &sioClient{Client: c, t: t, nsp: o.nsp, conn: c.Conn(), closed: c.Closed, events: c.Events()}, data, nil
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

func (c *sioClient) writeRaw(s string)              { c.WriteRaw(s) }
func (c *sioClient) emit(event string, args ...any) { c.Emit(event, args...) }
func (c *sioClient) emitRaw(event, rawArgs string)  { c.EmitRaw(event, rawArgs) }
func (c *sioClient) close()                         { c.Close() }

// closeErr is the read error that ended the connection (a *ws.CloseError for a close frame).
func (c *sioClient) closeErr() error { return c.CloseErr() }

// call emits with an ack and waits for it.
func (c *sioClient) call(event string, args ...any) map[string]any {
	c.t.Helper()
	return c.Call(event, args...)
}

// next waits for the next event named name, skipping others.
func (c *sioClient) next(name string) sioEvent {
	c.t.Helper()
	return c.Next(name)
}

// none asserts that no event named name arrives within d.
func (c *sioClient) none(name string, d time.Duration) {
	c.t.Helper()
	c.None(name, d)
}

// awayAfter connects reader's "/" socket, joins room, waits for poster's
// message with content, and drops the connection: the session a recovery test
// then recovers. It returns the message, the session's pid and its offset.
func awayAfter(t *testing.T, a *app, reader, poster user, room int64, content string) (msg map[string]any, pid, offset string) {
	t.Helper()
	c, connect, err := dialSIO(t, a, dialOpts{auth: map[string]any{"token": reader.Token}})
	if err != nil {
		t.Fatal(err)
	}
	pid, _ = connect["pid"].(string)
	c.call("join_room", map[string]any{"room_id": room})
	msg = a.postREST(poster, room, content)
	ev := c.next("new_message")
	offset = mustString(t, ev.Args[len(ev.Args)-1])
	c.close()
	time.Sleep(200 * time.Millisecond)
	return msg, pid, offset
}
