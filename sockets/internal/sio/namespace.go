package sio

import (
	"context"

	"github.com/zishang520/socket.io/v2/socket"

	"github.com/izpochat/server/sockets/events"
	"github.com/izpochat/server/sockets/internal/recovery"
	"github.com/izpochat/server/sockets/internal/release"
)

// Conn is what the layer keeps of one namespace socket. A door's state of the
// socket embeds it (the socket's data is the door's state, so connection state
// recovery brings it back with the socket): no closure or map of its own per
// idle connection.
type Conn struct {
	track  socketTrack
	legacy bool // recovery.LegacyHandshake, read before the handshake is released
	// pending is the recovered session this socket takes up once connected
	// (nil: a fresh socket, or one recovered by another user).
	pending *recovery.Pending
}

func (c *Conn) layerConn() *Conn { return c }

// LegacyClient reports a client that gets broadcasts without the recovery
// offset (EIO=3, Python clients; recovery.Marker).
func (c *Conn) LegacyClient() bool { return c.legacy }

// Resuming reports whether the socket takes up a recovered session once
// connected (Admit said so): the door then calls Resume.
func (c *Conn) Resuming() bool { return c.pending != nil }

// Resume puts a recovered socket, now authenticated and authorized, back into
// rooms (those it may still read) and replays, in offset order, what it missed
// there and what went to it alone. It reports false when packets it missed
// are no longer kept: then the door drops the connection and the client
// reconnects afresh.
func (c *Conn) Resume(s *socket.Socket, rooms []socket.Room) bool {
	p := c.pending
	c.pending = nil
	return recovery.Resume(s, p, rooms)
}

// EventHandler is one client event's work on a socket whose door state is c:
// it returns the ack fields on success (needed only when acked: the client
// asked for an ack).
type EventHandler[C any] func(ctx context.Context, s *socket.Socket, c *C, payload any, acked bool) (map[string]any, error)

// Events maps client event names to their work, shared by every socket of a
// namespace kind; what is per socket (s, c) is passed in.
type Events[C any] map[string]EventHandler[C]

// Handlers are a door's side of one kind of namespace.
type Handlers[C any] struct {
	// Admit authenticates a CONNECT and returns the socket's door state, or
	// the error it is refused with (answered with Options.Refusal). recovered
	// is the door state the socket had before it dropped out when the CONNECT
	// recovers a session (nil otherwise); resume says that the socket takes
	// it up (the same user), else it gets nothing of it.
	Admit func(ctx context.Context, s *socket.Socket, recovered any) (c *C, resume bool, err error)
	// Connected runs once the socket is in its namespace (presence: enter).
	Connected func(s *socket.Socket, c *C)
	// Disconnected runs when it leaves (presence: exit).
	Disconnected func(s *socket.Socket, c *C)
	// Events are the namespace's client events.
	Events Events[C]
}

// state is a door's socket state: it embeds Conn.
type state[C any] interface {
	*C
	layerConn() *Conn
}

// Of serves the namespace name with h.
func Of[C any, PC state[C]](s *Server, name string, h Handlers[C]) socket.Namespace {
	nsp := s.io.Of(name, nil)
	serve[C, PC](s, nsp, h, false)
	return nsp
}

// OfRooms serves the per-room namespaces (Options.RoomNamespaces) with h.
func OfRooms[C any, PC state[C]](s *Server, h Handlers[C]) {
	serve[C, PC](s, s.roomParent, h, true)
}

// serve installs the middleware and connection handler every namespace
// shares. The middleware authenticates the socket and registers its event
// handlers before the CONNECT answer leaves, so an event the client emits
// right after connecting always finds its handler.
func serve[C any, PC state[C]](s *Server, nsp socket.Namespace, h Handlers[C], rooms bool) {
	nsp.Use(func(so *socket.Socket, next func(*socket.ExtendedError)) {
		ctx, cancel := s.EventContext()
		defer cancel()
		pending, recovered := recovery.PendingOf(so)
		c, resume, err := h.Admit(ctx, so, recovered)
		if err != nil {
			s.refuse(so, next, err)
			return
		}
		lc := PC(c).layerConn()
		lc.legacy = recovery.LegacyHandshake(so)
		if resume {
			lc.pending = pending
		}
		so.SetData(c)
		route(s, so, c, h.Events)
		so.On(events.Disconnect, func(...any) {
			s.untrackSocket(so, &lc.track)
			if h.Disconnected != nil {
				h.Disconnected(so, c)
			}
			if rooms {
				if roomID, ok := s.opts.RoomID(so.Nsp().Name()); ok {
					s.rooms.Check(roomID) // its last socket gone, the namespace may go
				}
			}
		})
		if rooms {
			s.rooms.Accepted(so)
		}
		next(nil)
	})
	nsp.On("connection", func(args ...any) {
		so := args[0].(*socket.Socket)
		if rooms {
			s.rooms.Joined(so)
		}
		c := s.admit(so)
		cs, _ := c.(*C)
		if cs == nil {
			so.Disconnect(true)
			return
		}
		s.trackSocket(so, &PC(cs).layerConn().track)
		release.Handshake(so)
		if h.Connected != nil {
			h.Connected(so, cs)
		}
	})
}

// admit opens the connection's gate again: its CONNECT is answered.
func (s *Server) admit(so *socket.Socket) any {
	s.gates.Done(so.Conn().Id())
	return so.Data()
}

// refuse ends a CONNECT with the CONNECT_ERROR of err.
func (s *Server) refuse(so *socket.Socket, next func(*socket.ExtendedError), err error) {
	defer s.gates.Done(so.Conn().Id())
	next(s.opts.Refusal(err))
}
