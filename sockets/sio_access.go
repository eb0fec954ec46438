package sockets

import (
	"github.com/zishang520/socket.io/v2/socket"

	"github.com/izpochat/server/chat"
	"github.com/izpochat/server/sockets/events"
	"github.com/izpochat/server/sockets/internal/sio"
)

// revokedView is what a socket whose access ended is told: the contract's
// error shape plus the room and the reason (chat.AccessReason).
type revokedView struct {
	Type    string `json:"type,omitempty"`
	Message string `json:"message"`
	Code    string `json:"code"`
	RoomID  int64  `json:"room_id,omitempty"`
	Reason  string `json:"reason"`
}

func revokedOf(kind string, roomID int64, change *chat.AccessChange) revokedView {
	return revokedView{Type: kind, Message: change.Notice(), Code: change.Code(), RoomID: roomID, Reason: string(change.Reason)}
}

// leftRoomView is left_room as the server sends it when access ends: the
// notice of an explicit leave plus the reason.
type leftRoomView struct {
	roomNoticeView
	Reason string `json:"reason"`
}

// revokeRoom applies an access event to this instance's Socket.IO sockets in
// the room: those whose user lost access (chat says who) stop receiving at
// once. On "/" the socket leaves the room and gets left_room (the others get
// user_left from presence); on "/rooms/<id>" it gets an error event with the
// reason and is disconnected. Presence is left off this goroutine (the hub's).
func (d *sioDoor) revokeRoom(ev chat.Event) {
	change := ev.Access
	if change == nil {
		return
	}
	room := roomName(ev.RoomID)
	for _, nsp := range d.main {
		for _, s := range sio.SocketsIn(nsp, room) {
			if c, _ := s.Data().(*mainConn); c != nil && change.Revokes(c.actor.ID) {
				d.cutFromRoom(s, c, ev.RoomID, change)
			}
		}
	}
	if nsp := d.io.RoomNamespace(ev.RoomID); nsp != nil {
		nsp.Sockets().Range(func(_ socket.SocketId, s *socket.Socket) bool {
			if c, _ := s.Data().(*roomConn); c != nil && change.Revokes(c.actor.ID) {
				d.endRoomSocket(s, c, change)
			}
			return true
		})
	}
}

// endSessions disconnects every Socket.IO socket of the event's user, on
// every namespace, with the reason.
func (d *sioDoor) endSessions(ev chat.Event) {
	change := ev.Access
	if change == nil {
		return
	}
	for _, nsp := range d.main {
		nsp.Sockets().Range(func(_ socket.SocketId, s *socket.Socket) bool {
			if c, _ := s.Data().(*mainConn); c != nil && change.Revokes(c.actor.ID) {
				c.ended.Store(true)
				for _, roomID := range c.joined() {
					s.Leave(roomName(roomID))
				}
				s.Leave(userRoom(c.actor.ID)) // nor its user's events (door_users.go)
				d.io.Emit(s, events.Error, revokedOf("", 0, change))
				s.Disconnect(false)
			}
			return true
		})
	}
	for _, nsp := range d.io.RoomNamespaces() {
		nsp.Sockets().Range(func(_ socket.SocketId, s *socket.Socket) bool {
			if c, _ := s.Data().(*roomConn); c != nil && change.Revokes(c.actor.ID) {
				d.endRoomSocket(s, c, change)
			}
			return true
		})
	}
}

// cutFromRoom takes a "/" socket out of a chat room it may no longer read.
func (d *sioDoor) cutFromRoom(s *socket.Socket, c *mainConn, roomID int64, change *chat.AccessChange) {
	if !c.setJoined(roomID, false) {
		return
	}
	s.Leave(roomName(roomID))
	d.io.Emit(s, events.LeftRoom, leftRoomView{roomNoticeView: roomNoticeView{Message: change.Notice(), RoomID: roomID,
		UserID: c.actor.ID, Username: c.actor.Username}, Reason: string(change.Reason)})
	go func() {
		ctx, cancel := d.eventCtx()
		defer cancel()
		d.service.ExitRoom(ctx, c.actor, roomID, c.connID(s), false)
	}()
}

// endRoomSocket disconnects a "/rooms/<id>" socket whose access ended.
func (d *sioDoor) endRoomSocket(s *socket.Socket, c *roomConn, change *chat.AccessChange) {
	if c.ended.Swap(true) {
		return
	}
	s.Leave(roomName(c.roomID))
	d.io.Emit(s, events.Error, revokedOf(events.Error, c.roomID, change))
	s.Disconnect(false)
}
