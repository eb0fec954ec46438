package wstransport

import (
	"errors"
	"fmt"
	"net"
	"time"

	ws "github.com/gorilla/websocket"
	"github.com/zishang520/engine.io/v2/types"
)

// handshakeWait bounds how long reading waits for the upgrade request's
// handler to return (see readLoop).
const handshakeWait = 2 * time.Second

// readLoop arranges for every received text or binary message to reach the
// engine until the connection ends; pings and close frames are answered.
//
// It starts reading only once the HTTP handler that created the transport has
// returned (net/http cancels the request context then, hijacked or not): the
// engine sends the open packet before socket.io attaches its "data" listener,
// and during an upgrade it attaches the probe listener after creating us, so a
// fast client's first packet ("40" or "2probe") could otherwise be dropped.
func (t *transport) readLoop(handlerDone <-chan struct{}) {
	wait := time.NewTimer(handshakeWait)
	select {
	case <-handlerDone:
	case <-wait.C:
	}
	wait.Stop()

	// Idle connections are watched by the poller rather than by a goroutine
	// each; it reads a connection only while data is arriving. Only gorilla
	// inflates compressed frames: a connection whose compression the engine
	// has not set yet (a handshake slower than handshakeWait) is read by
	// gorilla, which reads any.
	if t.opts.poller != nil && t.deflateSet.Load() && t.opts.poller.watch(t) {
		return
	}
	t.readWithGoroutine()
}

// readWithGoroutine is the fallback reader: gorilla reads the connection on
// this goroutine until it ends (no epoll, or not a plain TCP connection).
func (t *transport) readWithGoroutine() {
	for {
		kind, r, err := t.conn.NextReader()
		if err != nil {
			t.endRead(err)
			return
		}
		var data types.BufferInterface
		switch kind {
		case ws.TextMessage:
			data = types.NewStringBuffer(nil)
		case ws.BinaryMessage:
			data = types.NewBytesBuffer(nil)
		default:
			continue
		}
		if _, err := data.ReadFrom(r); err != nil {
			t.endRead(fmt.Errorf("read websocket message: %w", err))
			return
		}
		t.OnData(data)
	}
}

// endRead closes the transport. A close frame, an abrupt disconnect (gorilla
// reports it as close code 1006) or our own close are ordinary ends; anything
// else is reported as a transport error first.
func (t *transport) endRead(err error) {
	var closeErr *ws.CloseError
	if !errors.As(err, &closeErr) && !errors.Is(err, net.ErrClosed) {
		t.OnError("websocket read error", err)
	}
	t.closeNet()
}
