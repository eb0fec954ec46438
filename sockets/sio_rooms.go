package sockets

import (
	"context"
	"strconv"
	"sync/atomic"

	"github.com/zishang520/socket.io/v2/socket"

	"github.com/izpochat/server/chat"
)

// roomConn is the state of one socket on a per-room namespace "/rooms/<id>".
type roomConn struct {
	actor  chat.Actor
	roomID int64
	legacy bool // see legacyClient; read from the handshake, which is then released
	track  socketTrack
	resume *pendingRecovery // as mainConn's
	ended  atomic.Bool      // as mainConn's
}

func (c *roomConn) legacyClient() bool    { return c.legacy }
func (c *roomConn) tracked() *socketTrack { return &c.track }

// roomEvents are the client events of "/rooms/<id>", shared by every socket.
var roomEvents = eventTable[roomConn]{
	"message": (*sioDoor).roomMessage,
	"typing":  (*sioDoor).roomTyping,
	// issue 23 (door_groups.go)
	"edit_message":   (*sioDoor).roomEditMessage,
	"delete_message": (*sioDoor).roomDeleteMessage,
}

func (c *roomConn) connID(s *socket.Socket) string { return "ns:" + string(s.Id()) }

// namespaceRoomID reads <id> from "/rooms/<id>".
func namespaceRoomID(name string) (int64, bool) {
	m := roomNamespacePattern.FindStringSubmatch(name)
	if m == nil {
		return 0, false
	}
	id, err := strconv.ParseInt(m[1], 10, 64)
	return id, err == nil
}

// roomMiddleware authenticates, refuses a missing or unreadable room, and
// registers the event handlers before the CONNECT answer leaves.
func (d *sioDoor) roomMiddleware(s *socket.Socket, next func(*socket.ExtendedError)) {
	roomID, ok := namespaceRoomID(s.Nsp().Name())
	if !ok {
		d.refuse(s, next, chat.NotFound("room not found"))
		return
	}
	ctx, cancel := d.eventCtx()
	defer cancel()
	actor, err := d.service.Authenticate(ctx, handshakeToken(s.Handshake()))
	if err != nil {
		d.refuse(s, next, err)
		return
	}
	if err := d.service.CanRead(ctx, actor, roomID); err != nil {
		d.refuse(s, next, err)
		return
	}
	c := &roomConn{actor: actor, roomID: roomID,
		legacy: legacyHandshake(s)}
	if pending, data := pendingOf(s); pending != nil {
		if prev, _ := data.(*roomConn); prev != nil && prev.actor.ID == actor.ID && prev.roomID == roomID {
			c.resume = pending // joins the room, with what it missed, once connected
		}
	}
	if c.resume == nil {
		// The room's events reach the socket from the moment it is connected.
		s.Join(roomName(roomID))
	}
	s.SetData(c)
	route(d, s, c, roomEvents)
	s.On("disconnect", func(...any) {
		d.untrackSocket(s, &c.track)
		exit := func() {
			ctx, cancel := d.eventCtx()
			defer cancel()
			d.service.ExitRoom(ctx, c.actor, c.roomID, c.connID(s), false)
		}
		if c.ended.Load() {
			go exit()
		} else {
			exit()
		}
		d.rooms.check(c.roomID) // its last socket gone, the namespace may go
	})
	d.rooms.accepted(s)
	next(nil)
}

func (d *sioDoor) onRoomConnection(args ...any) {
	s := args[0].(*socket.Socket)
	d.rooms.joined(s)
	c := admit[roomConn](d, s)
	if c == nil {
		return
	}
	ctx, cancel := d.eventCtx()
	defer cancel()
	online, err := d.service.EnterRoom(ctx, c.actor, c.roomID, c.connID(s))
	if err != nil {
		d.fail(s, nil, err)
		s.Disconnect(false)
		return
	}
	if c.resume != nil {
		if !resumeRecovered(s, c.resume, []socket.Room{roomName(c.roomID)}) {
			s.Conn().Close(false) // what it missed is gone: a fresh start
			return
		}
		c.resume = nil
	}
	d.emit(s, "welcome", welcomeView{Type: "welcome", Message: "Welcome to room " + strconv.FormatInt(c.roomID, 10),
		RoomID: c.roomID, UserID: c.actor.ID, Username: c.actor.Username, Timestamp: now()})
	d.emit(s, "users_online", onlineOf("users_online", c.roomID, online))
}

func (d *sioDoor) roomMessage(ctx context.Context, _ *socket.Socket, c *roomConn, payload any, acked bool) (map[string]any, error) {
	m, err := object(payload)
	if err != nil {
		return nil, err
	}
	in, err := postInput(m)
	if err != nil {
		return nil, err
	}
	msg, err := d.service.PostMessage(ctx, c.actor, c.roomID, in)
	if err != nil {
		return nil, err
	}
	return postedAck(msg, acked), nil
}

func (d *sioDoor) roomTyping(ctx context.Context, s *socket.Socket, c *roomConn, payload any, _ bool) (map[string]any, error) {
	m, err := object(payload)
	if err != nil {
		return nil, err
	}
	if err := d.service.Typing(ctx, c.actor, c.roomID, typingFlag(m), c.connID(s)); err != nil {
		return nil, err
	}
	return map[string]any{"room_id": c.roomID}, nil
}
