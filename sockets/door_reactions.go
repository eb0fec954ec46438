package sockets

import (
	"context"

	"github.com/zishang520/socket.io/v2/socket"

	"github.com/izpochat/server/chat"
)

// Reactions (issue 23.4) on the real-time doors: react and unreact (client
// events and frames), and how reaction_added / reaction_removed are rendered.
// chat decides who may; these only translate.

// reactionInput reads {message_id, emoji} of react and unreact.
func reactionInput(payload any) (int64, string, error) { return messageTextInput(payload, "emoji") }

// reactEvent is react and unreact on "/" and on "/rooms/<id>" (any room: the
// message names its own; chat checks the actor may read it).
func reactEvent(d *sioDoor, ctx context.Context, payload any, add bool, a chat.Actor) (map[string]any, error) {
	id, emoji, err := reactionInput(payload)
	if err != nil {
		return nil, err
	}
	change := d.service.AddReaction
	if !add {
		change = d.service.RemoveReaction
	}
	out, err := change(ctx, a, id, emoji)
	if err != nil {
		return nil, err
	}
	return map[string]any{"message_id": out.MessageID, "room_id": out.RoomID, "reactions": out.Reactions}, nil
}

func (d *sioDoor) mainReact(ctx context.Context, _ *socket.Socket, c *mainConn, payload any, _ bool) (map[string]any, error) {
	return reactEvent(d, ctx, payload, true, c.actor)
}

func (d *sioDoor) mainUnreact(ctx context.Context, _ *socket.Socket, c *mainConn, payload any, _ bool) (map[string]any, error) {
	return reactEvent(d, ctx, payload, false, c.actor)
}

func (d *sioDoor) roomReact(ctx context.Context, _ *socket.Socket, c *roomConn, payload any, _ bool) (map[string]any, error) {
	return reactEvent(d, ctx, payload, true, c.actor)
}

func (d *sioDoor) roomUnreact(ctx context.Context, _ *socket.Socket, c *roomConn, payload any, _ bool) (map[string]any, error) {
	return reactEvent(d, ctx, payload, false, c.actor)
}

// rawReact handles {type:"react"} and {type:"unreact"} frames.
func (d *rawDoor) rawReact(ctx context.Context, c *rawConn, m map[string]any, add bool) error {
	id, emoji, err := reactionInput(m)
	if err != nil {
		return err
	}
	if add {
		_, err = d.service.AddReaction(ctx, c.actor, id, emoji)
	} else {
		_, err = d.service.RemoveReaction(ctx, c.actor, id, emoji)
	}
	return err
}

// reactionViews names and shapes a reaction event for "/" (main), and for
// "/rooms/<id>" and the raw WebSocket (whose payloads carry their type); ok
// false for other events.
func reactionViews(ev chat.Event) (name string, mainView, typedView any, ok bool) {
	if (ev.Type != chat.EventReactionAdded && ev.Type != chat.EventReactionRemoved) || ev.Reaction == nil {
		return "", nil, nil, false
	}
	plain, typed := *ev.Reaction, *ev.Reaction
	plain.Type, typed.Type = "", string(ev.Type)
	return string(ev.Type), plain, typed, true
}
