package sockets

import (
	"context"
	"sync"

	"github.com/zishang520/socket.io/v2/socket"

	"github.com/izpochat/server/chat"
)

// mainConn is the state of one socket on "/" or "/socket.io". It is kept as the
// socket's data, so connection state recovery brings it back with the socket.
type mainConn struct {
	actor chat.Actor
	limit *bucket

	mu    sync.Mutex
	rooms map[int64]struct{} // chat rooms this socket is in
}

func (c *mainConn) connID(s *socket.Socket) string { return "sio:" + string(s.Id()) }

func (c *mainConn) joined() []int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]int64, 0, len(c.rooms))
	for id := range c.rooms {
		out = append(out, id)
	}
	return out
}

func (c *mainConn) setJoined(roomID int64, in bool) (was bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, was = c.rooms[roomID]
	if in {
		c.rooms[roomID] = struct{}{}
	} else {
		delete(c.rooms, roomID)
	}
	return was
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
	c, _ := s.Data().(*mainConn)
	if c == nil || c.actor.ID != actor.ID {
		c = &mainConn{rooms: make(map[int64]struct{})}
	}
	c.actor = actor
	c.limit = newBucket(d.opts.RateLimit.EventsPerSecond, d.opts.RateLimit.Burst)
	s.SetData(c)

	d.route(s, c.limit, eventHandlers{
		"join_room": func(ctx context.Context, payload any) (map[string]any, error) {
			return d.joinRoom(ctx, s, c, payload)
		},
		"leave_room": func(ctx context.Context, payload any) (map[string]any, error) {
			return d.leaveRoom(ctx, s, c, payload)
		},
		"send_message": func(ctx context.Context, payload any) (map[string]any, error) {
			return d.sendMessage(ctx, s, c, payload)
		},
		"typing": func(ctx context.Context, payload any) (map[string]any, error) {
			return d.typing(ctx, s, c, payload)
		},
	})
	s.On("disconnect", func(...any) { d.exitAll(s, c) })
	next(nil)
}

func (d *sioDoor) onMainConnection(args ...any) {
	s := args[0].(*socket.Socket)
	c := admit[mainConn](d, s)
	if c == nil {
		return
	}
	d.emit(s, "connected", map[string]any{
		"message":  "Connected to IzpoChat",
		"user_id":  c.actor.ID,
		"username": c.actor.Username,
		"sid":      string(s.Id()),
	})
	if s.Recovered() {
		d.reenter(s, c)
	}
}

// reenter puts a recovered socket back into the presence of its rooms.
func (d *sioDoor) reenter(s *socket.Socket, c *mainConn) {
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

func (d *sioDoor) joinRoom(ctx context.Context, s *socket.Socket, c *mainConn, payload any) (map[string]any, error) {
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
	notice := roomNoticeView{Message: c.actor.Username + " has joined the room", RoomID: roomID, UserID: c.actor.ID, Username: c.actor.Username}
	// joined_room is a Socket.IO-only notice: it goes to the room's sockets on every
	// instance (the joiner included) through the adapter; user_joined reached every
	// door through the hub already.
	d.emitToRoom(s, roomName(roomID), "joined_room", notice)
	view := onlineOf("", roomID, online)
	d.emit(s, "users_online", view)
	return map[string]any{"message": notice.Message, "room_id": roomID, "users": view.Users, "count": view.Count}, nil
}

func (d *sioDoor) leaveRoom(ctx context.Context, s *socket.Socket, c *mainConn, payload any) (map[string]any, error) {
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

func (d *sioDoor) sendMessage(ctx context.Context, s *socket.Socket, c *mainConn, payload any) (map[string]any, error) {
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
	sent := map[string]any{"status": "success", "message_id": msg.ID, "timestamp": msg.Timestamp, "room_id": roomID}
	d.emit(s, "message_sent", sent)
	return postedAck(msg), nil
}

// postedAck is the ack of a stored message, on every namespace.
func postedAck(msg chat.Message) map[string]any {
	return map[string]any{"message_id": msg.ID, "timestamp": msg.Timestamp, "room_id": msg.RoomID, "message": msg}
}

// admit finishes the start every namespace connection shares: the connect gate
// opens and the socket is tracked; nil (and the socket dropped) when it carries no
// authenticated state of type C.
func admit[C any](d *sioDoor, s *socket.Socket) *C {
	d.gates.done(s.Conn().Id())
	c, _ := s.Data().(*C)
	if c == nil {
		s.Disconnect(true)
		return nil
	}
	d.trackSocket(s)
	return c
}

func (d *sioDoor) typing(ctx context.Context, s *socket.Socket, c *mainConn, payload any) (map[string]any, error) {
	m, roomID, err := roomObject(payload)
	if err != nil {
		return nil, err
	}
	if err := d.service.Typing(ctx, c.actor, roomID, typingFlag(m), c.connID(s)); err != nil {
		return nil, err
	}
	return map[string]any{"room_id": roomID}, nil
}
