package sockets

import (
	"strconv"

	"github.com/zishang520/socket.io/v2/socket"

	"github.com/izpochat/server/chat"
	"github.com/izpochat/server/sockets/events"
)

// A channel per user (issue 23.6) on the real-time doors: every authenticated
// socket of "/" (and "/socket.io") is in its user's Socket.IO room from the
// moment it connects, and every raw WebSocket connection is indexed by its
// user: events chat addresses to a user (chat.Event.ToUser) reach each of that
// user's connections once, wherever the event happened. "/rooms/<id>" sockets
// do not get them: a client with such a socket has "/" (the same Socket.IO
// connection can open it), while a raw WebSocket client has only its room
// doors. chat decides who is told what; these only deliver.

// userRoom is the Socket.IO room of a user's sockets in the main namespaces.
// Chat rooms are named by their bare id, so the prefix keeps them apart.
func userRoom(userID int64) socket.Room { return socket.Room("u:" + strconv.FormatInt(userID, 10)) }

// userViews names and shapes the events addressed to a user only (RoomID 0)
// for "/" (plain) and the raw WebSocket (typed); ok false for other events.
func userViews(ev chat.Event) (name string, mainView, typedView any, ok bool) {
	switch {
	case ev.Type == chat.EventMention && ev.Mention != nil:
		plain, typed := *ev.Mention, *ev.Mention
		plain.Type, typed.Type = "", events.Mention
		return events.Mention, plain, typed, true
	case ev.Type == chat.EventConversationStarted && ev.Conversation != nil:
		plain, typed := *ev.Conversation, *ev.Conversation
		plain.Type, typed.Type = "", events.ConversationStarted
		return events.ConversationStarted, plain, typed, true
	}
	return "", nil, nil, false
}

// toUser delivers an event addressed to a user to their "/" sockets on this
// instance; with a room (member_added) only to those not in the room, which
// got it as the room's. Kept for recovery like every hub event.
func (d *sioDoor) toUser(ev chat.Event, name string, view any) {
	var except socket.Room
	if ev.RoomID != 0 {
		except = roomName(ev.RoomID)
	}
	for _, nsp := range d.main {
		d.io.ToRoom(nsp, userRoom(ev.ToUser), except, name, view)
	}
}

// toUser delivers an event addressed to a user to each of their raw
// connections on this instance, once; with a room (member_added) only to
// those of other rooms, which did not get it as the room's.
func (d *rawDoor) toUser(ev chat.Event, kind string, view any) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	inRoom := func(c *rawConn) bool { return ev.RoomID != 0 && c.roomID == ev.RoomID }
	if d.sendEach(d.users[ev.ToUser], inRoom, ev, view) {
		d.opts.Metrics.EventOut(kind)
	}
}

// addUser and dropUser keep the index of connections by user; callers hold d.mu.
func (d *rawDoor) addUser(c *rawConn) {
	set := d.users[c.actor.ID]
	if set == nil {
		set = make(map[*rawConn]struct{})
		d.users[c.actor.ID] = set
	}
	set[c] = struct{}{}
}

func (d *rawDoor) dropUser(c *rawConn) {
	if set := d.users[c.actor.ID]; set != nil {
		delete(set, c)
		if len(set) == 0 {
			delete(d.users, c.actor.ID)
		}
	}
}
