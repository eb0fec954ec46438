package sockets

import (
	"context"

	"github.com/zishang520/socket.io/v2/socket"

	"github.com/izpochat/server/chat"
	"github.com/izpochat/server/sockets/events"
)

// Issue 23.1-23.3 on the real-time doors: editing and deleting messages
// (client events and frames), and how the new domain events are rendered.
// chat decides who may; these only translate.

// messageIDField reads the required message_id field.
func messageIDField(m map[string]any) (int64, error) {
	v, ok := m["message_id"]
	if !ok || v == nil {
		return 0, chat.Invalid("message_id is required")
	}
	id, ok := positiveID(v)
	if !ok {
		return 0, chat.Invalid("message_id must be a positive integer")
	}
	return id, nil
}

// messageTextInput reads {message_id, <field>} where field is a string: an
// edit's content, a reaction's emoji.
func messageTextInput(payload any, field string) (int64, string, error) {
	m, err := object(payload)
	if err != nil {
		return 0, "", err
	}
	id, err := messageIDField(m)
	if err != nil {
		return 0, "", err
	}
	text, ok := m[field].(string)
	if !ok {
		return 0, "", chat.Invalid("%s is required and must be a string", field)
	}
	return id, text, nil
}

// editInput reads {message_id, content} of an edit.
func editInput(payload any) (int64, string, error) { return messageTextInput(payload, "content") }

// deleteInput reads {message_id} of a deletion.
func deleteInput(payload any) (int64, error) {
	m, err := object(payload)
	if err != nil {
		return 0, err
	}
	return messageIDField(m)
}

// editMessageEvent is edit_message on "/" and on "/rooms/<id>" (any room: the
// message names its own; chat checks the actor may still read it).
func editMessageEvent(d *sioDoor, ctx context.Context, payload any, acked bool, a chat.Actor) (map[string]any, error) {
	id, content, err := editInput(payload)
	if err != nil {
		return nil, err
	}
	msg, err := d.service.EditMessage(ctx, a, id, content)
	if err != nil {
		return nil, err
	}
	if !acked {
		return nil, nil
	}
	return map[string]any{"message_id": msg.ID, "room_id": msg.RoomID, "message": msg}, nil
}

func deleteMessageEvent(d *sioDoor, ctx context.Context, payload any, a chat.Actor) (map[string]any, error) {
	id, err := deleteInput(payload)
	if err != nil {
		return nil, err
	}
	if err := d.service.DeleteMessage(ctx, a, id); err != nil {
		return nil, err
	}
	return map[string]any{"message_id": id}, nil
}

func (d *sioDoor) mainEditMessage(ctx context.Context, _ *socket.Socket, c *mainConn, payload any, acked bool) (map[string]any, error) {
	return editMessageEvent(d, ctx, payload, acked, c.actor)
}

func (d *sioDoor) mainDeleteMessage(ctx context.Context, _ *socket.Socket, c *mainConn, payload any, _ bool) (map[string]any, error) {
	return deleteMessageEvent(d, ctx, payload, c.actor)
}

func (d *sioDoor) roomEditMessage(ctx context.Context, _ *socket.Socket, c *roomConn, payload any, acked bool) (map[string]any, error) {
	return editMessageEvent(d, ctx, payload, acked, c.actor)
}

func (d *sioDoor) roomDeleteMessage(ctx context.Context, _ *socket.Socket, c *roomConn, payload any, _ bool) (map[string]any, error) {
	return deleteMessageEvent(d, ctx, payload, c.actor)
}

// rawEdit and rawDelete handle {type:"edit"} and {type:"delete"} frames.
func (d *rawDoor) rawEdit(ctx context.Context, c *rawConn, m map[string]any) error {
	id, content, err := editInput(m)
	if err == nil {
		_, err = d.service.EditMessage(ctx, c.actor, id, content)
	}
	return err
}

func (d *rawDoor) rawDelete(ctx context.Context, c *rawConn, m map[string]any) error {
	id, err := deleteInput(m)
	if err == nil {
		err = d.service.DeleteMessage(ctx, c.actor, id)
	}
	return err
}

// groupViews names and shapes an issue-23 event for "/" (main), for
// "/rooms/<id>" and the raw WebSocket (whose payloads carry their type); ok
// false for other events.
func groupViews(ev chat.Event) (name string, mainView, typedView any, ok bool) {
	switch ev.Type {
	case chat.EventMessageEdited:
		if ev.Message == nil {
			return "", nil, nil, false
		}
		typed := *ev.Message
		typed.Type = events.MessageEdited
		return events.MessageEdited, ev.Message, &typed, true
	case chat.EventMessageDeleted:
		if ev.Deleted == nil {
			return "", nil, nil, false
		}
		plain, typed := *ev.Deleted, *ev.Deleted
		plain.Type, typed.Type = "", events.MessageDeleted
		return events.MessageDeleted, plain, typed, true
	case chat.EventMemberAdded, chat.EventMemberRemoved, chat.EventRoleChanged:
		if ev.Member == nil {
			return "", nil, nil, false
		}
		plain, typed := *ev.Member, *ev.Member
		plain.Type, typed.Type = "", string(ev.Type)
		return string(ev.Type), plain, typed, true
	}
	if name, mainView, typedView, ok := readViews(ev); ok { // issue 23.5 (door_reads.go)
		return name, mainView, typedView, ok
	}
	return reactionViews(ev) // issue 23.4 (door_reactions.go)
}

// The Socket.IO packets that carry a message's text, as the recovery adapter
// keeps them: a deleted message's are made unreplayable (internal/recovery/forget.go).
var messageTextEvents = []string{events.NewMessage, events.Message, events.MessageEdited}

// forgetDeleted makes every kept packet of this instance carrying a deleted
// message's text unreplayable, before message_deleted is emitted: a client
// that recovers gets the deletion, never the text.
func (d *sioDoor) forgetDeleted(ev chat.Event) {
	if ev.Deleted == nil {
		return
	}
	d.io.ForgetMessage(d.main, ev.RoomID, messageTextEvents, ev.Deleted.ID)
}
