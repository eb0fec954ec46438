package sockets

import (
	"strings"

	"github.com/zishang520/socket.io/v2/socket"

	"github.com/izpochat/server/chat"
)

// render delivers one hub event to this instance's Socket.IO clients. Events of
// other instances arrive through the same hub, so emitting locally delivers
// each event exactly once. The emits only queue frames; they never wait on a
// client.
func (d *sioDoor) render(ev chat.Event) {
	except := exceptRoom(ev.ExceptConn)
	var mainName, roomNsName string
	var mainView, roomView any
	switch ev.Type {
	case chat.EventMessage:
		if ev.Message == nil {
			return
		}
		mainName, mainView = "new_message", ev.Message
		roomNsName, roomView = "message", ev.Message
	case chat.EventTyping:
		mainName, mainView = "typing", typingOf("", ev)
		roomNsName, roomView = "typing", typingOf("typing", ev)
	case chat.EventUserJoined:
		mainName, mainView = "user_joined", presenceOf("", ev)
		roomNsName, roomView = "user_joined", presenceOf("user_joined", ev)
	case chat.EventUserLeft:
		mainName, mainView = "user_left", presenceOf("", ev)
		roomNsName, roomView = "user_left", presenceOf("user_left", ev)
	case chat.EventAccessChanged:
		d.revokeRoom(ev)
		return
	case chat.EventSessionsEnded:
		d.endSessions(ev)
		return
	default:
		// issue 23's events (door_groups.go)
		name, plain, typed, ok := groupViews(ev)
		if !ok {
			return
		}
		if ev.Type == chat.EventMessageDeleted {
			d.forgetDeleted(ev)
		}
		mainName, mainView, roomNsName, roomView = name, plain, name, typed
	}
	delivered := false
	room := roomName(ev.RoomID)
	toRoom := localBroadcast(room, except)
	for _, nsp := range d.main {
		// Emitted even to an empty room: the recovery adapter keeps it for
		// sockets that dropped out and will recover.
		broadcastLocal(nsp, toRoom, mainName, mainView)
		if hasLocalMembers(nsp, room) {
			d.opts.Metrics.EventOut(mainName)
			delivered = true
		}
	}
	if nsp := d.roomNamespace(ev.RoomID); nsp != nil {
		// To the room's own Socket.IO room, not to every socket of the
		// namespace: a socket whose access ended leaves it at once.
		broadcastLocal(nsp, toRoom, roomNsName, roomView)
		if hasLocalMembers(nsp, room) {
			d.opts.Metrics.EventOut(roomNsName)
			delivered = true
		}
	}
	if delivered && ev.Type == chat.EventMessage {
		observeDelivery(d.opts.Metrics, ev.Message)
	}
}

// hasLocalMembers reports whether any socket of this instance is in the room:
// only then is a broadcast counted as sent (once, not per recipient).
func hasLocalMembers(nsp socket.Namespace, room socket.Room) bool {
	members, ok := nsp.Adapter().Rooms().Load(room)
	return ok && members != nil && members.Len() > 0
}

// exceptRoom turns a connection id of this door into the socket's own room
// (every socket is in a room named by its id); other doors' ids exclude nobody.
func exceptRoom(connID string) socket.Room {
	for _, prefix := range []string{"sio:", "ns:"} {
		if sid, ok := strings.CutPrefix(connID, prefix); ok {
			return socket.Room(sid)
		}
	}
	return ""
}
