package handlers

// The documentation of issue 23.4 (reactions), kept apart from the older
// routes: its operations, its schemas, and the field it adds to Message.

func reactionsTag() obj {
	return obj{"name": "reactions", "description": "Reactions to messages. Any reader of a room may react to a live message of it, " +
		"once per emoji (adding again or removing what is not there changes nothing and sends no event); a deleted message cannot be reacted to " +
		"and shows none. An emoji is any one visible token of at most 64 bytes and 16 characters (a Unicode emoji sequence or a short name like " +
		"`:party:`): no whitespace, control characters or `/`; a message shows at most 32 different emoji. Reactions spend the posting rate limit. " +
		"History messages carry `reactions` [{emoji, count, me}] (me: the caller reacted), omitted when a message has none; live `new_message`/`message` " +
		"and `message_edited` never carry it (a client keeps the reactions it has and follows the events). " +
		"Server events to the room on `/`, `/rooms/<id>` and the raw WebSocket, part of Socket.IO connection-state recovery: " +
		"`reaction_added` and `reaction_removed` (ReactionEvent; on `/rooms/<id>` and the raw WebSocket they carry their `type`). " +
		"Socket.IO client events (on `/` and `/rooms/<id>`): `react` and `unreact` {message_id, emoji}, acked {status, message_id, room_id, reactions}. " +
		"Raw WebSocket frames in: `{type:\"react\"|\"unreact\", message_id, emoji}`; a refused one answers an `error` frame."}
}

func reactionOperations() []operation {
	msgID := pathParam("id", "Message id", true)
	emoji := pathParam("emoji", "The emoji, percent-encoded", false)
	return []operation{
		{method: "POST", path: "/api/messages/{id}/reactions", tag: "reactions", summary: "React to a message (any reader of its room; once per emoji); event reaction_added", auth: authRequired,
			params: []obj{msgID}, body: jsonBody(ref("ReactionRequest")),
			responses: responses(obj{"200": ok("The message's reactions as the caller now sees them (also when the reaction was there already)", ref("MessageReactions"))}, 400, 404, 429)},
		{method: "DELETE", path: "/api/messages/{id}/reactions/{emoji}", tag: "reactions", summary: "Take back a reaction; event reaction_removed", auth: authRequired,
			params:    []obj{msgID, emoji},
			responses: responses(obj{"200": ok("The message's reactions as the caller now sees them (also when there was no such reaction)", ref("MessageReactions"))}, 400, 404, 429)},
	}
}

// withReactionSchemas adds this feature's schemas to schemas and its field to
// Message.
func withReactionSchemas(schemas obj) obj {
	schemas["Reaction"] = object([]string{"emoji", "count", "me"}, obj{
		"emoji": str(), "count": integer(),
		"me": obj{"type": "boolean", "description": "The caller is among those who reacted with it."},
	})
	schemas["ReactionRequest"] = object([]string{"emoji"}, obj{
		"emoji": obj{"type": "string", "description": "One visible token: at most 64 bytes and 16 characters, no whitespace, control characters or '/'."},
	})
	schemas["MessageReactions"] = object([]string{"message_id", "room_id", "reactions"}, obj{
		"message_id": integer(), "room_id": integer(), "reactions": arrayOf(ref("Reaction")),
	})
	schemas["ReactionEvent"] = object([]string{"message_id", "room_id", "emoji", "user_id"}, obj{
		"type":       obj{"type": "string", "enum": []string{"reaction_added", "reaction_removed"}, "description": "On /rooms/<id> and the raw WebSocket only."},
		"message_id": integer(), "room_id": integer(), "emoji": str(), "user_id": integer(),
	})
	addProps(schemas, "Message", obj{
		"reactions": obj{"type": "array", "items": ref("Reaction"), "description": "History answers only; omitted when the message has none. Its emoji in the order they were first used."},
	})
	return schemas
}
