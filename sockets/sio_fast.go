package sockets

import (
	"github.com/zishang520/engine.io-go-parser/packet"
	"github.com/zishang520/engine.io/v2/engine"
	"github.com/zishang520/engine.io/v2/types"
	"github.com/zishang520/socket.io-go-parser/v2/parser"
	"github.com/zishang520/socket.io/v2/socket"
)

// sharedFrameSender is a transport that can queue one pre-encoded packet shared
// by many recipients without the engine's per-packet events (our websocket
// transport). It reports false when it took nothing (closing, dead).
type sharedFrameSender interface {
	SendShared(p *packet.Packet) bool
}

// fanOut delivers one broadcast packet to the local sockets opts selects,
// encoding it once. Sockets on a transport that takes shared frames get the
// same packet queued directly; others (polling, an upgrade in progress) go
// through the engine as the library's adapter would send them.
func (a *recoveryAdapter) fanOut(p *parser.Packet, opts *socket.BroadcastOptions) {
	p.Nsp = a.nsp.Name()
	encoded := a.nsp.Server().Encoder().Encode(p)
	wopts := &socket.WriteOptions{}
	wopts.PreEncoded = true
	if opts != nil && opts.Flags != nil {
		wopts.Compress = opts.Flags.Compress
	}
	var shared *packet.Packet
	if len(encoded) == 1 {
		if text, ok := encoded[0].(*types.StringBuffer); ok {
			frame := types.NewStringBufferString("4")
			frame.Write(text.Bytes())
			wopts.WsPreEncodedFrame = frame
			shared = &packet.Packet{Type: packet.MESSAGE, Data: text,
				Options: &packet.Options{Compress: wopts.Compress, WsPreEncodedFrame: frame}}
		}
	}
	// No "any outgoing" listener is notified, as the library's adapter would:
	// our doors register none (OnAnyOutgoing is not used in this package), and
	// asking costs a copy of the listener list per recipient of every broadcast.
	a.eachRecipient(opts, func(r recipient) {
		if shared != nil && sendShared(r.conn, shared) {
			return
		}
		r.socket.Client().WriteToEngine(encoded, wopts)
	})
}

// sendShared queues the shared packet on conn's transport when that is safe:
// the transport takes shared frames and no upgrade is under way (the engine may
// still hold packets to flush to the new transport, which must go first).
func sendShared(conn engine.Socket, p *packet.Packet) bool {
	sender, ok := conn.Transport().(sharedFrameSender)
	if !ok || conn.Upgrading() || conn.ReadyState() != "open" {
		return false
	}
	return sender.SendShared(p)
}

// eachRecipient calls fn once for every local socket in opts.Rooms (every
// socket when none) and in none of opts.Except, as the library's adapter does.
// A single room, what chat events address, comes from the member cache.
func (a *recoveryAdapter) eachRecipient(opts *socket.BroadcastOptions, fn func(recipient)) {
	rooms := a.Rooms()
	var except map[socket.SocketId]struct{}
	if opts != nil && opts.Except != nil && opts.Except.Len() > 0 {
		except = map[socket.SocketId]struct{}{}
		for _, room := range opts.Except.Keys() {
			if ids, ok := rooms.Load(room); ok {
				for _, id := range ids.Keys() {
					except[id] = struct{}{}
				}
			}
		}
	}
	if opts != nil && opts.Rooms != nil && opts.Rooms.Len() == 1 {
		for _, r := range a.members.members(opts.Rooms.Keys()[0], a.loadMembers) {
			if _, skip := except[r.id]; !skip {
				fn(r)
			}
		}
		return
	}
	sockets := a.nsp.Sockets()
	deliver := func(id socket.SocketId) {
		if _, skip := except[id]; skip {
			return
		}
		if s, ok := sockets.Load(id); ok {
			fn(recipientOf(s))
		}
	}
	if opts == nil || opts.Rooms == nil || opts.Rooms.Len() == 0 {
		a.Sids().Range(func(id socket.SocketId, _ *types.Set[socket.Room]) bool {
			deliver(id)
			return true
		})
		return
	}
	seen := map[socket.SocketId]struct{}{}
	for _, room := range opts.Rooms.Keys() {
		if ids, ok := rooms.Load(room); ok {
			for _, id := range ids.Keys() {
				if _, dup := seen[id]; !dup {
					seen[id] = struct{}{}
					deliver(id)
				}
			}
		}
	}
}

// broadcastLocal emits event name with view to this instance's sockets of nsp
// in room (all when room is empty) except those in the except room: what
// nsp.Local().To(room).Except(except).Emit does, without building a
// broadcast operator for every event.
func broadcastLocal(nsp socket.Namespace, room, except socket.Room, name string, view any) {
	opts := &socket.BroadcastOptions{Rooms: types.NewSet[socket.Room](), Except: types.NewSet[socket.Room](),
		Flags: &socket.BroadcastFlags{Local: true}}
	if room != "" {
		opts.Rooms.Add(room)
	}
	if except != "" {
		opts.Except.Add(except)
	}
	nsp.Adapter().Broadcast(&parser.Packet{Type: parser.EVENT, Data: []any{name, view}}, opts)
}
