package sockets

import (
	"context"

	"github.com/zishang520/socket.io/v2/socket"

	"github.com/izpochat/server/chat"
	"github.com/izpochat/server/sockets/events"
)

// Read state (issue 23.5) on the real-time doors: mark_read on "/"
// {room_id, message_id} and on "/rooms/<id>" {message_id}, the raw
// WebSocket's {type:"read", message_id} for its room, and how the read event
// is rendered. chat decides who may; these only translate.

// readAck is what a mark answers: the caller's read state of the room.
func readAck(st chat.ReadState) map[string]any {
	return map[string]any{"room_id": st.RoomID, "user_id": st.UserID, "last_read_id": st.LastReadID, "unread_count": st.UnreadCount}
}

func (d *sioDoor) mainMarkRead(ctx context.Context, _ *socket.Socket, c *mainConn, payload any, _ bool) (map[string]any, error) {
	m, roomID, err := roomObject(payload)
	if err != nil {
		return nil, err
	}
	id, err := messageIDField(m)
	if err != nil {
		return nil, err
	}
	st, err := d.service.MarkRead(ctx, c.actor, roomID, id)
	if err != nil {
		return nil, err
	}
	return readAck(st), nil
}

// roomMarkRead marks the namespace's own room.
func (d *sioDoor) roomMarkRead(ctx context.Context, _ *socket.Socket, c *roomConn, payload any, _ bool) (map[string]any, error) {
	m, err := object(payload)
	if err != nil {
		return nil, err
	}
	id, err := messageIDField(m)
	if err != nil {
		return nil, err
	}
	st, err := d.service.MarkRead(ctx, c.actor, c.roomID, id)
	if err != nil {
		return nil, err
	}
	return readAck(st), nil
}

// rawRead handles {type:"read", message_id}: the connection's room.
func (d *rawDoor) rawRead(ctx context.Context, c *rawConn, m map[string]any) error {
	id, err := messageIDField(m)
	if err == nil {
		_, err = d.service.MarkRead(ctx, c.actor, c.roomID, id)
	}
	return err
}

// readViews shapes the read event for "/" (plain) and for "/rooms/<id>" and
// the raw WebSocket (typed); ok false for other events.
func readViews(ev chat.Event) (name string, mainView, typedView any, ok bool) {
	if ev.Type != chat.EventRead || ev.Read == nil {
		return "", nil, nil, false
	}
	plain, typed := *ev.Read, *ev.Read
	plain.Type, typed.Type = "", events.Read
	return events.Read, plain, typed, true
}
