package sockets

import (
	"context"
	"errors"
	"net/http"

	"github.com/izpochat/server/sockets/wstransport"
)

// Server is the set of real-time doors of one instance.
type Server struct {
	sio      *sioDoor
	raw      *rawDoor
	cancel   context.CancelFunc
	unlisten []func()
}

// New builds the doors and registers one hub listener per door. It installs our
// websocket transport in the engine's registry first (process-wide).
func New(ctx context.Context, o Options) (*Server, error) {
	if o.Service == nil {
		return nil, errors.New("sockets: a chat service is required")
	}
	o = o.withDefaults()
	ws := wstransport.Register(wstransport.Options{QueueSize: o.SocketIO.SendQueue, WriteTimeout: o.WriteTimeout,
		MaxMessageSize: o.SocketIO.MaxPayload, Logger: o.Logger})
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	// The domain's single message writer already publishes in stored order, so the
	// doors post straight through it.
	s := &Server{sio: newSIODoor(ctx, o, ws), raw: newRawDoor(ctx, o), cancel: cancel}
	hub := o.Service.Hub()
	s.unlisten = append(s.unlisten, hub.Listen(s.sio.render), hub.Listen(s.raw.render))
	return s, nil
}

// SocketIO serves /socket.io/ (polling and websocket, EIO=4 and EIO=3).
func (s *Server) SocketIO() http.Handler { return s.sio.handler }

// RawWS serves the raw WebSocket door at /api/ws/{room_id}.
func (s *Server) RawWS() http.Handler { return s.raw }

// Drain closes every live connection so clients reconnect, to another instance
// when this one is going away.
func (s *Server) Drain(context.Context) {
	s.raw.drain()
	s.sio.drain()
}

// Close stops listening to the hub and ends pending work.
func (s *Server) Close() error {
	for _, u := range s.unlisten {
		u()
	}
	s.unlisten = nil
	s.cancel()
	return nil
}
