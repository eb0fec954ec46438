package sockets_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	ws "github.com/gorilla/websocket"
)

// rawClient is a raw WebSocket client of /api/ws/{room_id}.
type rawClient struct {
	t      testing.TB
	conn   *ws.Conn
	frames chan map[string]any
	closed chan error // the read error (a *ws.CloseError on a close frame)
}

func dialRaw(t testing.TB, a *app, path string, h http.Header) *rawClient {
	t.Helper()
	conn, _, err := ws.DefaultDialer.Dial(a.wsURL(path), h)
	if err != nil {
		t.Fatalf("dial %s: %v", path, err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	c := &rawClient{t: t, conn: conn, frames: make(chan map[string]any, 4096), closed: make(chan error, 1)}
	go func() {
		for {
			_, data, err := conn.ReadMessage()
			if err != nil {
				c.closed <- err
				return
			}
			var m map[string]any
			if json.Unmarshal(data, &m) == nil {
				c.frames <- m
			}
		}
	}()
	return c
}

func (c *rawClient) send(v any) {
	c.t.Helper()
	if err := c.conn.WriteJSON(v); err != nil {
		c.t.Fatalf("raw send: %v", err)
	}
}

func (c *rawClient) sendText(s string) {
	c.t.Helper()
	if err := c.conn.WriteMessage(ws.TextMessage, []byte(s)); err != nil {
		c.t.Fatalf("raw send: %v", err)
	}
}

// next waits for the next frame of the given type, skipping others.
func (c *rawClient) next(kind string) map[string]any {
	c.t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case f := <-c.frames:
			if f["type"] == kind {
				return f
			}
		case err := <-c.closed:
			c.t.Fatalf("connection closed waiting for %q: %v", kind, err)
		case <-deadline:
			c.t.Fatalf("no %q frame", kind)
		}
	}
}

func (c *rawClient) none(kind string, d time.Duration) {
	c.t.Helper()
	deadline := time.After(d)
	for {
		select {
		case f := <-c.frames:
			if f["type"] == kind {
				c.t.Fatalf("unexpected %q frame: %v", kind, f)
			}
		case <-deadline:
			return
		}
	}
}

// closeCode waits for the server to close the connection and returns the close error.
func (c *rawClient) closeCode() *ws.CloseError {
	c.t.Helper()
	select {
	case err := <-c.closed:
		ce, ok := err.(*ws.CloseError)
		if !ok {
			c.t.Fatalf("closed without a close frame: %v", err)
		}
		return ce
	case <-time.After(5 * time.Second):
		c.t.Fatal("connection not closed")
		return nil
	}
}
