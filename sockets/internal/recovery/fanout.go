package recovery

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

// fanOut delivers one broadcast event, its websocket frame built once, to the
// local sockets opts selects. Sockets on a transport that takes shared frames
// get the same frame queued directly; others (polling, an upgrade in progress)
// get the packet through the engine as the library's adapter would send it.
func (a *recoveryAdapter) fanOut(frame []byte, opts *socket.BroadcastOptions, to audience) {
	text := types.NewStringBuffer(frame[1:]) // the packet without the message type
	a.deliver([]types.BufferInterface{text}, types.NewStringBuffer(frame), opts, to)
}

// fanOutEncoded is fanOut for a packet the library's encoder wrote (frame is
// then built from its text, if it is one).
func (a *recoveryAdapter) fanOutEncoded(encoded []types.BufferInterface, opts *socket.BroadcastOptions, to audience) {
	var frame types.BufferInterface
	if len(encoded) == 1 {
		if text, ok := encoded[0].(*types.StringBuffer); ok {
			frame = types.NewStringBufferString("4")
			frame.Write(text.Bytes())
		}
	}
	a.deliver(encoded, frame, opts, to)
}

// deliver sends an encoded packet, and its websocket frame when it has one, to
// the broadcast's audience (opts only give the write flags).
func (a *recoveryAdapter) deliver(encoded []types.BufferInterface, frame types.BufferInterface, opts *socket.BroadcastOptions, to audience) {
	wopts := &socket.WriteOptions{}
	wopts.PreEncoded = true
	if opts != nil && opts.Flags != nil {
		wopts.Compress = opts.Flags.Compress
	}
	var shared *packet.Packet
	if frame != nil {
		wopts.WsPreEncodedFrame = frame
		shared = &packet.Packet{Type: packet.MESSAGE, Data: encoded[0],
			Options: &packet.Options{Compress: wopts.Compress, WsPreEncodedFrame: frame}}
	}
	// No "any outgoing" listener is notified, as the library's adapter would:
	// our doors register none (OnAnyOutgoing is not used in this package), and
	// asking costs a copy of the listener list per recipient of every broadcast.
	a.eachRecipient(to, func(r recipient) {
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

// eachRecipient calls fn once for every local socket in to.rooms (every
// socket when none) and in none of to.except, as the library's adapter does.
// A single room, what chat events address, comes from the member cache.
func (a *recoveryAdapter) eachRecipient(to audience, fn func(recipient)) {
	rooms := a.Rooms()
	var except map[socket.SocketId]struct{}
	if len(to.except) > 0 {
		except = map[socket.SocketId]struct{}{}
		for _, room := range to.except {
			if ids, ok := rooms.Load(room); ok {
				for _, id := range ids.Keys() {
					except[id] = struct{}{}
				}
			}
		}
	}
	if len(to.rooms) == 1 {
		for _, r := range a.members.members(to.rooms[0], a.loadMembers) {
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
	if len(to.rooms) == 0 {
		a.Sids().Range(func(id socket.SocketId, _ *types.Set[socket.Room]) bool {
			deliver(id)
			return true
		})
		return
	}
	seen := map[socket.SocketId]struct{}{}
	for _, room := range to.rooms {
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

// localBroadcast is the options of a broadcast to this instance's sockets in
// room (all when room is empty) except those in the except room: what
// nsp.Local().To(room).Except(except) builds, once for every namespace an
// event goes to (our adapter only reads them).
func localBroadcast(room, except socket.Room) *socket.BroadcastOptions {
	// No Except set when nobody is excepted (most events): our adapter, the
	// only one these options reach, reads a nil set as an empty one.
	opts := &socket.BroadcastOptions{Rooms: types.NewSet[socket.Room](), Flags: &socket.BroadcastFlags{Local: true}}
	if room != "" {
		opts.Rooms.Add(room)
	}
	if except != "" {
		opts.Except = types.NewSet(except)
	}
	return opts
}

// BroadcastLocal emits event name with view to nsp's sockets of this instance
// in room (all when empty) but those in except (none when empty), without
// building a broadcast operator for every event. With our adapter it is kept
// for recovery, even when nobody here is in the room.
func BroadcastLocal(nsp socket.Namespace, room, except socket.Room, name string, view any) {
	nsp.Adapter().Broadcast(&parser.Packet{Type: parser.EVENT, Data: []any{name, view}}, localBroadcast(room, except))
}

// BroadcastLive is BroadcastLocal for an event that is sent afresh whenever it
// is due and must not be replayed to a recovering socket: a snapshot the door
// sends on every connection or join (users_online, welcome, connected). It is
// sent as BroadcastLocal sends it, offset included and in offset order with
// every other packet, but the recovery buffer does not keep it. A snapshot per
// joiner (users_online lists up to the room's members) was most of what the
// buffer held on a server whose clients connect and sit idle.
func BroadcastLive(nsp socket.Namespace, room socket.Room, name string, view any) {
	p := &parser.Packet{Type: parser.EVENT, Data: []any{name, view}}
	opts := localBroadcast(room, "")
	if a, ok := nsp.Adapter().(*recoveryAdapter); ok {
		a.broadcast(p, opts, false)
		return
	}
	nsp.Adapter().Broadcast(p, opts)
}
