package sio

import (
	"sync"

	"github.com/zishang520/engine.io/v2/transports"
	"github.com/zishang520/socket.io/v2/socket"
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
func (srv *Server) trackSocket(s *socket.Socket, tr *socketTrack) {
	rec, ns, conn := srv.opts.Metrics, s.Nsp().Name(), s.Conn()
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
func (srv *Server) untrackSocket(s *socket.Socket, tr *socketTrack) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if tr.counted && !tr.gone {
		srv.opts.Metrics.SocketDisconnected(tr.transport, s.Nsp().Name())
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
