package sockets

import (
	"sync"
	"time"

	"github.com/zishang520/engine.io/v2/transports"
	"github.com/zishang520/socket.io/v2/socket"

	"github.com/izpochat/server/chat"
)

// socketTrack is a namespace socket's entry in the connection metrics: the
// transport it is counted under, from the namespace's connection handler until
// it disconnects. It lives in the socket's state (no closure of its own).
type socketTrack struct {
	mu        sync.Mutex
	transport string
	counted   bool // SocketConnected was recorded
	gone      bool // SocketDisconnected was recorded, or the socket left before being counted
}

// trackSocket counts a connected namespace socket under its Engine.IO
// transport until untrackSocket, moving it from polling to websocket when the
// connection upgrades. It is called from the namespace's connection handler.
func (d *sioDoor) trackSocket(s *socket.Socket, tr *socketTrack) {
	rec, ns, conn := d.opts.Metrics, s.Nsp().Name(), s.Conn()
	// A connection already on websocket has nothing left to upgrade to; only
	// the others need a listener (each one costs every idle connection). It is
	// added first, so an upgrade racing with this call is either seen by it or
	// already reflected in conn.Transport().
	if conn.Transport().Name() != transports.WEBSOCKET {
		_ = conn.On("upgrade", func(args ...any) {
			to, ok := transportName(args)
			tr.mu.Lock()
			defer tr.mu.Unlock()
			if ok && tr.counted && !tr.gone && to != tr.transport {
				rec.SocketUpgraded(ns, tr.transport, to)
				tr.transport = to
			}
		})
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if tr.gone {
		return // disconnected before its connection handler ran
	}
	tr.transport = conn.Transport().Name()
	tr.counted = true
	rec.SocketConnected(tr.transport, ns)
}

// untrackSocket ends the socket's count; it runs on the socket's disconnect.
func (d *sioDoor) untrackSocket(s *socket.Socket, tr *socketTrack) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if tr.counted && !tr.gone {
		d.opts.Metrics.SocketDisconnected(tr.transport, s.Nsp().Name())
	}
	tr.gone = true
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

// emit sends an event to one socket and counts it. With our recovery adapter
// it does what s.Emit then does (a broadcast to the socket's own room, kept
// for recovery) without the two option sets and flags s.Emit builds each time.
func (d *sioDoor) emit(s *socket.Socket, name string, v any) {
	if _, ours := s.Nsp().Adapter().(*recoveryAdapter); ours {
		broadcastLocal(s.Nsp(), localBroadcast(socket.Room(s.Id()), ""), name, v)
	} else {
		_ = s.Emit(name, v)
	}
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
