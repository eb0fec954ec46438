package sio

import (
	"github.com/zishang520/socket.io/v2/socket"

	"github.com/izpochat/server/sockets/internal/recovery"
)

// Emit sends an event to one socket and counts it. With recovery on it does
// what s.Emit then does (a broadcast to the socket's own room, kept for
// recovery) without the two option sets and flags s.Emit builds each time.
func (srv *Server) Emit(s *socket.Socket, name string, v any) {
	if srv.recovery {
		recovery.BroadcastLocal(s.Nsp(), socket.Room(s.Id()), "", name, v)
	} else {
		_ = s.Emit(name, v)
	}
	srv.opts.Metrics.EventOut(name)
}

// EmitLive is Emit for an event the door sends afresh on every connection or
// join (a snapshot: users_online, welcome, connected): with recovery on it is
// not kept for recovery, so a recovering socket never gets a stale copy
// replayed, and the recovery buffer does not hold one per joiner.
func (srv *Server) EmitLive(s *socket.Socket, name string, v any) {
	if srv.recovery {
		recovery.BroadcastLive(s.Nsp(), socket.Room(s.Id()), name, v)
	} else {
		_ = s.Emit(name, v)
	}
	srv.opts.Metrics.EventOut(name)
}

// EmitToRoom sends an event to a room of s's namespace on every instance (a
// fresh operator each time, so exclusions do not leak) and counts it once per
// broadcast, not per recipient.
func (srv *Server) EmitToRoom(s *socket.Socket, room socket.Room, name string, v any) {
	_ = s.Nsp().To(room).Emit(name, v)
	srv.opts.Metrics.EventOut(name)
}

// ToRoom delivers an event to this instance's sockets of nsp in room but those
// in except (none when empty): the events of the hub, which brought them to
// every instance already. It is emitted even to a room with nobody here (the
// recovery adapter keeps it for sockets that dropped out and will recover),
// but counted, once, only when someone here is in the room; reached reports it.
// The emit only queues frames; it never waits on a client.
func (srv *Server) ToRoom(nsp socket.Namespace, room, except socket.Room, name string, v any) (reached bool) {
	recovery.BroadcastLocal(nsp, room, except, name, v)
	if !hasLocalMembers(nsp, room) {
		return false
	}
	srv.opts.Metrics.EventOut(name)
	return true
}

// hasLocalMembers reports whether any socket of this instance is in the room.
func hasLocalMembers(nsp socket.Namespace, room socket.Room) bool {
	members, ok := nsp.Adapter().Rooms().Load(room)
	return ok && members != nil && members.Len() > 0
}

// SocketsIn lists the local sockets of nsp in room.
func SocketsIn(nsp socket.Namespace, room socket.Room) []*socket.Socket {
	ids, ok := nsp.Adapter().Rooms().Load(room)
	if !ok || ids == nil {
		return nil
	}
	sockets := nsp.Sockets()
	var out []*socket.Socket
	for _, id := range ids.Keys() {
		if s, ok := sockets.Load(id); ok {
			out = append(out, s)
		}
	}
	return out
}
