package sockets

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/zishang520/socket.io/v2/socket"

	"github.com/izpochat/server/chat"
	"github.com/izpochat/server/sockets/events"
	"github.com/izpochat/server/sockets/internal/sio"
)

// mainConn is the state of one socket on "/" or "/socket.io". It is kept as the
// socket's data, so connection state recovery brings it back with the socket
// (the recovered socket's admission takes the rooms it was in from it).
type mainConn struct {
	sio.Conn
	actor chat.Actor
	// ended is set when the server ends the socket for an access event: its
	// presence is then left off the hub listener's goroutine.
	ended atomic.Bool

	mu    sync.Mutex
	rooms []int64 // chat rooms this socket is in: a few, so a slice beats a map
}

// mainEvents are the client events of "/" and "/socket.io", shared by every
// socket (a table per socket would cost each idle connection a map and a
// closure per event).
func (d *sioDoor) mainEvents() sio.Events[mainConn] {
	return sio.Events[mainConn]{
		events.JoinRoom:    d.joinRoom,
		events.LeaveRoom:   d.leaveRoom,
		events.SendMessage: d.sendMessage,
		events.Typing:      d.typing,
		// issue 23 (door_groups.go)
		events.EditMessage:   d.mainEditMessage,
		events.DeleteMessage: d.mainDeleteMessage,
		events.MarkRead:      d.mainMarkRead, // door_reads.go
		// issue 23.4 (door_reactions.go)
		events.React:   d.mainReact,
		events.Unreact: d.mainUnreact,
	}
}

func (c *mainConn) connID(s *socket.Socket) string { return "sio:" + string(s.Id()) }

func (c *mainConn) joined() []int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.rooms)
}

func (c *mainConn) setJoined(roomID int64, in bool) (was bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	i := slices.Index(c.rooms, roomID)
	switch {
	case in && i < 0:
		c.rooms = append(c.rooms, roomID)
	case !in && i >= 0:
		c.rooms = slices.Delete(c.rooms, i, i+1)
	}
	return i >= 0
}

// admitMain authenticates a CONNECT to "/" or "/socket.io". A recovered socket
// of the same user takes up the rooms it may still read; recovered by anyone
// else it gets nothing of the session.
func (d *sioDoor) admitMain(ctx context.Context, s *socket.Socket, recovered any) (*mainConn, bool, error) {
	actor, err := d.service.Authenticate(ctx, handshakeToken(s.Handshake()))
	if err != nil {
		return nil, false, err
	}
	c := &mainConn{actor: actor}
	prev, _ := recovered.(*mainConn)
	if prev == nil || prev.actor.ID != actor.ID {
		// Its user's events (door_users.go) from before the CONNECT answer is
		// written: the connection handler may run well after the client has
		// it (the library writes the answer first), and an event published
		// meanwhile would be missed. A socket refused later, or whose client
		// goes away first, leaves the room with the library's cleanup. A
		// resumed socket rejoins it with what it missed (reenter).
		s.Join(userRoom(actor.ID))
		return c, false, nil
	}
	for _, roomID := range prev.joined() {
		if d.service.CanRead(ctx, actor, roomID) == nil {
			c.rooms = append(c.rooms, roomID)
		}
	}
	return c, true, nil
}

// onMainDisconnect leaves the presence of the socket's rooms; off the hub
// listener's goroutine when the server ended the socket for an access event.
func (d *sioDoor) onMainDisconnect(s *socket.Socket, c *mainConn) {
	if c.ended.Load() {
		go d.exitAll(s, c)
		return
	}
	d.exitAll(s, c)
}

func (d *sioDoor) onMainConnection(s *socket.Socket, c *mainConn) {
	d.io.EmitLive(s, events.Connected, connectedView{Message: "Connected to IzpoChat", Sid: string(s.Id()),
		UserID: c.actor.ID, Username: c.actor.Username})
	if c.Resuming() {
		d.reenter(s, c)
	}
}

// reenter puts a recovered socket back into its rooms, replays what it missed
// there, and enters their presence.
func (d *sioDoor) reenter(s *socket.Socket, c *mainConn) {
	joined := c.joined()
	rooms := make([]socket.Room, len(joined), len(joined)+1)
	for i, roomID := range joined {
		rooms[i] = roomName(roomID)
	}
	// Its user's room too (door_users.go): the user events it missed are replayed.
	rooms = append(rooms, userRoom(c.actor.ID))
	if !c.Resume(s, rooms) {
		// What it missed is gone: a fresh start (it reconnects unrecovered).
		c.mu.Lock()
		c.rooms = nil
		c.mu.Unlock()
		s.Conn().Close(false)
		return
	}
	ctx, cancel := d.eventCtx()
	defer cancel()
	for _, roomID := range c.joined() {
		if _, err := d.service.EnterRoom(ctx, c.actor, roomID, c.connID(s)); err != nil {
			c.setJoined(roomID, false)
			s.Leave(roomName(roomID))
		}
	}
}

func (d *sioDoor) exitAll(s *socket.Socket, c *mainConn) {
	ctx, cancel := d.eventCtx()
	defer cancel()
	for _, roomID := range c.joined() {
		d.service.ExitRoom(ctx, c.actor, roomID, c.connID(s), false)
	}
}

func (d *sioDoor) joinRoom(ctx context.Context, s *socket.Socket, c *mainConn, payload any, _ bool) (map[string]any, error) {
	_, roomID, err := roomObject(payload)
	if err != nil {
		return nil, err
	}
	online, err := d.service.EnterRoom(ctx, c.actor, roomID, c.connID(s))
	if err != nil {
		return nil, err
	}
	c.setJoined(roomID, true)
	s.Join(roomName(roomID))
	// Access may have ended between the check and the join, and the access
	// event found the socket not yet in the room: asked again, now that any
	// such event has cleared the cached answer.
	if err := d.service.CanRead(ctx, c.actor, roomID); err != nil {
		c.setJoined(roomID, false)
		s.Leave(roomName(roomID))
		d.service.ExitRoom(ctx, c.actor, roomID, c.connID(s), false)
		return nil, err
	}
	notice := roomNoticeView{Message: c.actor.Username + " has joined the room", RoomID: roomID, UserID: c.actor.ID, Username: c.actor.Username}
	// joined_room is a Socket.IO-only notice: it goes to the room's sockets on every
	// instance (the joiner included) through the adapter; user_joined reached every
	// door through the hub already.
	d.io.EmitToRoom(s, roomName(roomID), events.JoinedRoom, notice)
	view := onlineOf("", roomID, online)
	d.io.EmitLive(s, events.UsersOnline, view)
	return map[string]any{"message": notice.Message, "room_id": roomID, "users": view.Users, "count": view.Count}, nil
}

func (d *sioDoor) leaveRoom(ctx context.Context, s *socket.Socket, c *mainConn, payload any, _ bool) (map[string]any, error) {
	_, roomID, err := roomObject(payload)
	if err != nil {
		return nil, err
	}
	notice := roomNoticeView{Message: c.actor.Username + " has left the room", RoomID: roomID, UserID: c.actor.ID, Username: c.actor.Username}
	if c.setJoined(roomID, false) {
		d.io.EmitToRoom(s, roomName(roomID), events.LeftRoom, notice)
		s.Leave(roomName(roomID))
		d.service.ExitRoom(ctx, c.actor, roomID, c.connID(s), true)
	} else {
		d.io.Emit(s, events.LeftRoom, notice)
	}
	return map[string]any{"message": notice.Message, "room_id": roomID}, nil
}

func (d *sioDoor) sendMessage(ctx context.Context, s *socket.Socket, c *mainConn, payload any, acked bool) (map[string]any, error) {
	m, roomID, err := roomObject(payload)
	if err != nil {
		return nil, err
	}
	in, err := postInput(m)
	if err != nil {
		return nil, err
	}
	msg, err := d.service.PostMessage(ctx, c.actor, roomID, in)
	if err != nil {
		return nil, err
	}
	d.io.Emit(s, events.MessageSent, messageSentView{MessageID: msg.ID, RoomID: roomID, Status: "success", Timestamp: msg.Timestamp})
	return postedAck(msg, acked), nil
}

// postedAck is the ack of a stored message, on every namespace; nil when the
// client did not ask for one (a copy of the message for nobody, otherwise).
func postedAck(msg chat.Message, acked bool) map[string]any {
	if !acked {
		return nil
	}
	return map[string]any{"message_id": msg.ID, "timestamp": msg.Timestamp, "room_id": msg.RoomID, "message": msg}
}

func (d *sioDoor) typing(ctx context.Context, s *socket.Socket, c *mainConn, payload any, _ bool) (map[string]any, error) {
	m, roomID, err := roomObject(payload)
	if err != nil {
		return nil, err
	}
	if err := d.service.Typing(ctx, c.actor, roomID, typingFlag(m), c.connID(s)); err != nil {
		return nil, err
	}
	return map[string]any{"room_id": roomID}, nil
}
