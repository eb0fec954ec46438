package wstransport

import (
	"errors"
	"testing"
	"time"

	ws "github.com/gorilla/websocket"
	"github.com/zishang520/socket.io/v2/socket"
)

// A fragment, then a continuation declaring 2^64-2 bytes: the sum with what
// the fragment holds wrapped the size check around to zero and the parser
// sliced out of range on the poller's goroutine, ending the process. The
// connection is closed as too big and the server goes on serving.
func TestContinuationLengthCannotWrapTheLimit(t *testing.T) {
	useTransport(t, NewBuilder(Options{MaxMessageSize: 1000}))
	srv := startServer(t, nil, func(*socket.Socket) {})
	c, _ := connectV4(t, srv, 0)
	attack := append(maskedFrame(opText, []byte("ab")),
		finBit|opContinuation, maskBit|127, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE, 1, 2, 3, 4)
	if _, err := c.conn.UnderlyingConn().Write(attack); err != nil {
		t.Fatalf("write: %v", err)
	}
	_ = c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		_, _, err := c.conn.ReadMessage()
		if err == nil {
			continue // a ping
		}
		var ce *ws.CloseError
		if !errors.As(err, &ce) || ce.Code != ws.CloseMessageTooBig {
			t.Fatalf("read: %v, want close 1009", err)
		}
		break
	}
	connectV4(t, srv, 0) // still serving
}
