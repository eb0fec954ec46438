// Package sendqueue bounds what the engine buffers for a polling client. The
// engine keeps a connection's outgoing packets in its socket's write buffer
// until the transport is writable, with no bound: a long-polling client that
// never sends its GET (and POSTs blind pongs to stay connected) grows it for
// ever. Bound drops such a client past SOCKET_SEND_QUEUE waiting packets, the
// rule our websocket transport applies to its own queue.
package sendqueue

import (
	"log/slog"
	"sync/atomic"

	"github.com/zishang520/engine.io-go-parser/packet"
	"github.com/zishang520/engine.io/v2/engine"
	"github.com/zishang520/engine.io/v2/transports"
)

// The engine keeps a connection's outgoing packets in its
// socket's write buffer until the transport is writable, with no bound: a
// long-polling client that never sends its GET (and answers pings by POSTing
// blind pongs, so it stays connected) makes that buffer grow for ever. Our
// websocket transport bounds its own queue (wstransport: past SOCKET_SEND_QUEUE
// the client is dropped), and the engine buffer never holds anything for it:
// it is always writable. For polling, and for a connection in the middle of an
// upgrade, the buffer is bounded here by the same rule, from the outside: the
// engine announces every packet it buffers ("packetCreate") and every batch it
// hands to the transport ("flush"), so their difference is what waits.

// Bound drops conn once more than limit packets wait in its engine
// write buffer. The count stops at the upgrade to websocket, whose transport
// then bounds its own queue.
func Bound(conn engine.Socket, limit int, log *slog.Logger) {
	if conn.Transport().Name() == transports.WEBSOCKET {
		return // opened on websocket: the buffer never holds anything
	}
	var waiting atomic.Int64
	var dropped atomic.Bool
	onCreate := func(...any) {
		if waiting.Add(1) <= int64(limit) || !dropped.CompareAndSwap(false, true) {
			return
		}
		log.Warn("polling client not reading, dropping connection",
			slog.String("sid", conn.Id()), slog.String("remote_addr", conn.RemoteAddress()),
			slog.String("transport", conn.Transport().Name()), slog.Int("queue_size", limit))
		// Packets are buffered with the adapter's and socket.io's locks held:
		// closing synchronously would re-enter them. The close discards the
		// transport, so it does not wait for a GET that never comes, and the
		// engine then clears the buffer.
		go conn.Close(true)
	}
	onFlush := func(args ...any) {
		if len(args) > 0 {
			if batch, ok := args[0].([]*packet.Packet); ok {
				waiting.Add(-int64(len(batch)))
			}
		}
	}
	_ = conn.On("packetCreate", onCreate)
	_ = conn.On("flush", onFlush)
	_ = conn.Once("upgrade", func(...any) {
		conn.RemoveListener("packetCreate", onCreate)
		conn.RemoveListener("flush", onFlush)
	})
}
