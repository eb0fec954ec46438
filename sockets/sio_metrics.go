package sockets

import (
	"sync"
	"time"

	"github.com/zishang520/engine.io/v2/transports"
	"github.com/zishang520/socket.io/v2/socket"

	"github.com/izpochat/server/chat"
)

// trackSocket counts a connected namespace socket under its Engine.IO
// transport until it disconnects, moving it from polling to websocket when the
// connection upgrades. It is called from the namespace's connection handler,
// before anything can disconnect the socket.
func (d *sioDoor) trackSocket(s *socket.Socket) {
	rec, ns, conn := d.opts.Metrics, s.Nsp().Name(), s.Conn()
	var (
		mu        sync.Mutex
		transport string
		gone      bool
	)
	// The upgrade listener goes first, so an upgrade racing with this call is
	// either seen here or already reflected in conn.Transport().
	_ = conn.On("upgrade", func(args ...any) {
		to, ok := transportName(args)
		mu.Lock()
		defer mu.Unlock()
		if ok && !gone && to != transport {
			rec.SocketUpgraded(ns, transport, to)
			transport = to
		}
	})
	mu.Lock()
	transport = conn.Transport().Name()
	rec.SocketConnected(transport, ns)
	mu.Unlock()
	s.On("disconnect", func(...any) {
		mu.Lock()
		defer mu.Unlock()
		if !gone {
			gone = true
			rec.SocketDisconnected(transport, ns)
		}
	})
}

func transportName(args []any) (string, bool) {
	if len(args) == 0 {
		return "", false
	}
	t, ok := args[0].(transports.Transport)
	if !ok || t == nil {
		return "", false
	}
	return t.Name(), true
}

// emit sends an event to one socket and counts it.
func (d *sioDoor) emit(s *socket.Socket, name string, v any) {
	_ = s.Emit(name, v)
	d.opts.Metrics.EventOut(name)
}

// emitToRoom sends an event to a room of a namespace (a fresh operator each
// time, so exclusions do not leak) and counts it once per broadcast, not per
// recipient.
func (d *sioDoor) emitToRoom(s *socket.Socket, room socket.Room, name string, v any) {
	_ = s.Nsp().To(room).Emit(name, v)
	d.opts.Metrics.EventOut(name)
}

// observeDelivery records how long a stored message took to be queued to this
// door's clients: once per message and door, not per recipient, so a broadcast
// to a large room costs one histogram observation.
func observeDelivery(d interface{ ObserveDelivery(time.Duration) }, msg *chat.Message) {
	// Clocks of two instances may disagree by a little: never a negative latency.
	d.ObserveDelivery(max(0, time.Since(time.Time(msg.CreatedAt))))
}
