package sockets

import (
	"strings"

	"github.com/zishang520/socket.io/v2/socket"

	"github.com/izpochat/server/chat"
	"github.com/izpochat/server/sockets/events"
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
		mainName, mainView = events.NewMessage, ev.Message
		roomNsName, roomView = events.Message, ev.Message
	case chat.EventTyping:
		mainName, mainView = events.Typing, typingOf("", ev)
		roomNsName, roomView = events.Typing, typingOf(events.Typing, ev)
	case chat.EventUserJoined:
		mainName, mainView = events.UserJoined, presenceOf("", ev)
		roomNsName, roomView = events.UserJoined, presenceOf(events.UserJoined, ev)
	case chat.EventUserLeft:
		mainName, mainView = events.UserLeft, presenceOf("", ev)
		roomNsName, roomView = events.UserLeft, presenceOf(events.UserLeft, ev)
	case chat.EventAccessChanged:
		d.revokeRoom(ev)
		return
	case chat.EventSessionsEnded:
		d.endSessions(ev)
		return
	default:
		if name, plain, _, ok := userViews(ev); ok { // to a user only (door_users.go)
			d.toUser(ev, name, plain)
			return
		}
		// issue 23's events (door_groups.go)
		name, plain, typed, ok := groupViews(ev)
		if !ok {
			return
		}
		if ev.Type == chat.EventMessageDeleted {
			d.forgetDeleted(ev)
		}
		mainName, mainView, roomNsName, roomView = name, plain, name, typed
		if ev.ToUser != 0 { // member_added: the added user's sockets outside the room too
			d.toUser(ev, name, plain)
		}
	}
	delivered := false
	room := roomName(ev.RoomID)
	for _, nsp := range d.main {
		if d.io.ToRoom(nsp, room, except, mainName, mainView) {
			delivered = true
		}
	}
	if nsp := d.io.RoomNamespace(ev.RoomID); nsp != nil {
		// To the room's own Socket.IO room, not to every socket of the
		// namespace: a socket whose access ended leaves it at once.
		if d.io.ToRoom(nsp, room, except, roomNsName, roomView) {
			delivered = true
		}
	}
	if delivered && ev.Type == chat.EventMessage {
		observeDelivery(d.opts.Metrics, ev.Message)
	}
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
