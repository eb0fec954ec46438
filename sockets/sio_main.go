package sockets

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/zishang520/socket.io/v2/socket"

	"github.com/izpochat/server/chat"
)

// mainConn is the state of one socket on "/" or "/socket.io". It is kept as the
// socket's data, so connection state recovery brings it back with the socket
// (the recovered socket's middleware takes the rooms it was in from it).
type mainConn struct {
	actor  chat.Actor
	legacy bool // see legacyClient; read from the handshake, which is then released
	track  socketTrack
	// resume is the recovered session this socket takes up once connected
	// (nil: a fresh socket, or one recovered by another user).
	resume *pendingRecovery
	// ended is set when the server ends the socket for an access event: its
	// presence is then left off the hub listener's goroutine.
	ended atomic.Bool

	mu    sync.Mutex
	rooms []int64 // chat rooms this socket is in: a few, so a slice beats a map
}

func (c *mainConn) legacyClient() bool    { return c.legacy }
func (c *mainConn) tracked() *socketTrack { return &c.track }

// mainEvents are the client events of "/" and "/socket.io", shared by every
// socket (a table per socket would cost each idle connection a map and a
// closure per event).
var mainEvents = eventTable[mainConn]{
	"join_room":    (*sioDoor).joinRoom,
	"leave_room":   (*sioDoor).leaveRoom,
	"send_message": (*sioDoor).sendMessage,
	"typing":       (*sioDoor).typing,
	// issue 23 (door_groups.go)
	"edit_message":   (*sioDoor).mainEditMessage,
	"delete_message": (*sioDoor).mainDeleteMessage,
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

// mainMiddleware authenticates the socket and registers its event handlers
// before the CONNECT answer leaves, so an event the client emits right after
// connecting always finds its handler.
func (d *sioDoor) mainMiddleware(s *socket.Socket, next func(*socket.ExtendedError)) {
	ctx, cancel := d.eventCtx()
	defer cancel()
	actor, err := d.service.Authenticate(ctx, handshakeToken(s.Handshake()))
	if err != nil {
		d.refuse(s, next, err)
		return
	}
	c := &mainConn{actor: actor,
		legacy: legacyHandshake(s)}
	// A recovered socket of the same user takes up the rooms it may still
	// read; recovered by anyone else it gets nothing of the session.
	if pending, data := pendingOf(s); pending != nil {
		if prev, _ := data.(*mainConn); prev != nil && prev.actor.ID == actor.ID {
			c.resume = pending
			for _, roomID := range prev.joined() {
				if d.service.CanRead(ctx, actor, roomID) == nil {
					c.rooms = append(c.rooms, roomID)
				}
			}
		}
	}
	s.SetData(c)

	route(d, s, c, mainEvents)
	s.On("disconnect", func(...any) {
		d.untrackSocket(s, &c.track)
		if c.ended.Load() {
			go d.exitAll(s, c)
			return
		}
		d.exitAll(s, c)
	})
	next(nil)
}

func (d *sioDoor) onMainConnection(args ...any) {
	s := args[0].(*socket.Socket)
	c := admit[mainConn](d, s)
	if c == nil {
		return
	}
	d.emit(s, "connected", connectedView{Message: "Connected to IzpoChat", Sid: string(s.Id()),
		UserID: c.actor.ID, Username: c.actor.Username})
	if c.resume != nil {
		d.reenter(s, c)
	}
}

// reenter puts a recovered socket back into its rooms, replays what it missed
// there, and enters their presence.
func (d *sioDoor) reenter(s *socket.Socket, c *mainConn) {
	joined := c.joined()
	rooms := make([]socket.Room, len(joined))
	for i, roomID := range joined {
		rooms[i] = roomName(roomID)
	}
	if !resumeRecovered(s, c.resume, rooms) {
		// What it missed is gone: a fresh start (it reconnects unrecovered).
		c.mu.Lock()
		c.rooms = nil
		c.mu.Unlock()
		s.Conn().Close(false)
		return
	}
	c.resume = nil
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
	d.emitToRoom(s, roomName(roomID), "joined_room", notice)
	view := onlineOf("", roomID, online)
	d.emit(s, "users_online", view)
	return map[string]any{"message": notice.Message, "room_id": roomID, "users": view.Users, "count": view.Count}, nil
}

func (d *sioDoor) leaveRoom(ctx context.Context, s *socket.Socket, c *mainConn, payload any, _ bool) (map[string]any, error) {
	_, roomID, err := roomObject(payload)
	if err != nil {
		return nil, err
	}
	notice := roomNoticeView{Message: c.actor.Username + " has left the room", RoomID: roomID, UserID: c.actor.ID, Username: c.actor.Username}
	if c.setJoined(roomID, false) {
		d.emitToRoom(s, roomName(roomID), "left_room", notice)
		s.Leave(roomName(roomID))
		d.service.ExitRoom(ctx, c.actor, roomID, c.connID(s), true)
	} else {
		d.emit(s, "left_room", notice)
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
	d.emit(s, "message_sent", messageSentView{MessageID: msg.ID, RoomID: roomID, Status: "success", Timestamp: msg.Timestamp})
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

// admit finishes the start every namespace connection shares: the connect gate
// opens, the socket is tracked and its handshake released; nil (and the socket
// dropped) when it carries no authenticated state of type C.
func admit[C any, PC interface {
	*C
	tracked() *socketTrack
}](d *sioDoor, s *socket.Socket) *C {
	d.gates.done(s.Conn().Id())
	c, _ := s.Data().(*C)
	if c == nil {
		s.Disconnect(true)
		return nil
	}
	d.trackSocket(s, PC(c).tracked())
	releaseHandshake(s)
	return c
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
