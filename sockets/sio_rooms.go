package sockets

import (
	"context"
	"strconv"
	"sync/atomic"

	"github.com/zishang520/socket.io/v2/socket"

	"github.com/izpochat/server/chat"
	"github.com/izpochat/server/sockets/events"
	"github.com/izpochat/server/sockets/internal/sio"
)

// roomConn is the state of one socket on a per-room namespace "/rooms/<id>".
type roomConn struct {
	sio.Conn
	actor  chat.Actor
	roomID int64
	ended  atomic.Bool // as mainConn's
}

// roomEvents are the client events of "/rooms/<id>", shared by every socket.
func (d *sioDoor) roomEvents() sio.Events[roomConn] {
	return sio.Events[roomConn]{
		events.Message: d.roomMessage,
		events.Typing:  d.roomTyping,
		// issue 23 (door_groups.go)
		events.EditMessage:   d.roomEditMessage,
		events.DeleteMessage: d.roomDeleteMessage,
		events.MarkRead:      d.roomMarkRead, // door_reads.go
		// issue 23.4 (door_reactions.go)
		events.React:   d.roomReact,
		events.Unreact: d.roomUnreact,
	}
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

// admitRoom authenticates a CONNECT to "/rooms/<id>" and refuses a missing or
// unreadable room. A recovered socket of the same user in the same room joins
// it, with what it missed, once connected.
func (d *sioDoor) admitRoom(ctx context.Context, s *socket.Socket, recovered any) (*roomConn, bool, error) {
	roomID, ok := namespaceRoomID(s.Nsp().Name())
	if !ok {
		return nil, false, chat.NotFound("room not found")
	}
	actor, err := d.service.Authenticate(ctx, handshakeToken(s.Handshake()))
	if err != nil {
		return nil, false, err
	}
	if err := d.service.CanRead(ctx, actor, roomID); err != nil {
		return nil, false, err
	}
	c := &roomConn{actor: actor, roomID: roomID}
	if prev, _ := recovered.(*roomConn); prev != nil && prev.actor.ID == actor.ID && prev.roomID == roomID {
		return c, true, nil
	}
	// The room's events reach the socket from the moment it is connected.
	s.Join(roomName(roomID))
	return c, false, nil
}

// onRoomDisconnect leaves the room's presence; off the hub listener's
// goroutine when the server ended the socket for an access event.
func (d *sioDoor) onRoomDisconnect(s *socket.Socket, c *roomConn) {
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
}

func (d *sioDoor) onRoomConnection(s *socket.Socket, c *roomConn) {
	ctx, cancel := d.eventCtx()
	defer cancel()
	online, err := d.service.EnterRoom(ctx, c.actor, c.roomID, c.connID(s))
	if err != nil {
		d.fail(s, nil, err)
		s.Disconnect(false)
		return
	}
	if c.Resuming() && !c.Resume(s, []socket.Room{roomName(c.roomID)}) {
		s.Conn().Close(false) // what it missed is gone: a fresh start
		return
	}
	d.io.EmitLive(s, events.Welcome, welcomeView{Type: events.Welcome, Message: "Welcome to room " + strconv.FormatInt(c.roomID, 10),
		RoomID: c.roomID, UserID: c.actor.ID, Username: c.actor.Username, Timestamp: now()})
	d.io.EmitLive(s, events.UsersOnline, onlineOf(events.UsersOnline, c.roomID, online))
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
