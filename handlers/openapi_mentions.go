package handlers

// The documentation of issue 23.6 (a channel per user, mentions): no route of
// its own; the events addressed to a user, their schemas, and the field it
// adds to Message.

func userChannelTag() obj {
	return obj{"name": "user channel", "description": "Events addressed to one user, wherever they happen (no route of its own). " +
		"Every authenticated Socket.IO socket on `/` (and `/socket.io`) and every raw WebSocket connection gets them, each once, " +
		"whether or not it is in the room concerned, so a client can badge rooms it has not joined; `/rooms/<id>` sockets do not " +
		"(the same client has `/`). On `/` they are part of Socket.IO connection-state recovery. Events: " +
		"`member_added` (MemberEvent) to the added user, besides the room (a connection in the room gets it once, as the room's); " +
		"`conversation_started` (ConversationStartedEvent) to the other member of a new conversation; " +
		"`mention` (MentionEvent) to each user a message mentions, when it is posted and when an edit adds them. " +
		"A mention is `@username` in the content (the name matched exactly; not preceded by a letter, digit, `_`, `.` or `-`, so an email " +
		"address mentions nobody; trailing dots are not part of it), at most 20 different users per message. Only users who may read the " +
		"room are mentioned: any other name is plain text (no event, no entry). Messages carry `mentions` [{id, username}], omitted when " +
		"empty; an edit evaluates them anew. The author is listed when they mention themselves, never told. " +
		"On the raw WebSocket each event carries its `type`."}
}

// withMentionSchemas adds this feature's schemas to schemas and its field to
// Message.
func withMentionSchemas(schemas obj) obj {
	schemas["MentionRef"] = object([]string{"id", "username"}, obj{"id": integer(), "username": str()})
	schemas["MentionEvent"] = object([]string{"message_id", "room_id", "user_id", "by", "excerpt"}, obj{
		"type":       obj{"type": "string", "enum": []string{"mention"}, "description": "On the raw WebSocket only."},
		"message_id": integer(), "room_id": integer(),
		"user_id": obj{"type": "integer", "format": "int64", "description": "The mentioned user (the receiver)."},
		"by":      ref("MentionRef"),
		"excerpt": obj{"type": "string", "description": "The message's first 120 characters."},
	})
	schemas["ConversationStartedEvent"] = object([]string{"room_id", "room", "other_user"}, obj{
		"type":       obj{"type": "string", "enum": []string{"conversation_started"}, "description": "On the raw WebSocket only."},
		"room_id":    integer(),
		"room":       obj{"$ref": "#/components/schemas/Room", "description": "The conversation as GET /api/rooms/{id} shows it to the receiver."},
		"other_user": obj{"type": "object", "description": "Who started it: {id, username, full_name}."},
	})
	addProps(schemas, "Message", obj{
		"mentions": obj{"type": "array", "items": ref("MentionRef"), "description": "The users the content mentions who may read the room, by id; omitted when none."},
	})
	return schemas
}
