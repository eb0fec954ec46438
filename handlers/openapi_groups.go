package handlers

// The documentation of issue 23.1-23.3 (private groups and roles, editing and
// deleting messages, replies), kept apart from the older routes: its
// operations, its schemas, and the fields it adds to Room and Message.

func groupsTag() obj {
	return obj{"name": "groups", "description": "Private groups and roles, editing and deleting messages, replies. " +
		"A room's creator is its `owner`; members are `admin` or `member`. The owner and admins add and remove members, " +
		"the owner names admins, anyone may remove themselves, nobody removes the owner, and a conversation keeps exactly its two members. " +
		"Every change is stored first, then delivered live on every door of every instance, and is part of Socket.IO connection-state recovery. " +
		"Socket.IO client events (on `/` and on `/rooms/<id>`, acked like every event): `edit_message` {message_id, content} " +
		"(ack {status, message_id, room_id, message}) and `delete_message` {message_id} (ack {status, message_id}); " +
		"`send_message` and `/rooms/<id>` `message` accept `reply_to_id`. Server events to the room on `/` and `/rooms/<id>`: " +
		"`message_edited` (Message), `message_deleted` (MessageDeleted), `member_added`, `member_removed`, `role_changed` (MemberEvent); " +
		"on `/rooms/<id>` and the raw WebSocket they carry their `type`. Raw WebSocket frames in: `{type:\"edit\", message_id, content}`, " +
		"`{type:\"delete\", message_id}`, `{type:\"message\", content, reply_to_id}`; out: `message_edited` (the Message with type " +
		"`message_edited`), `message_deleted`, and the member events; a refused one answers an `error` frame and the connection stays. " +
		"Removing someone from a private room ends their live delivery there at once, as leaving does (see the realtime tag, reason `removed`). " +
		"A deleted message's text is blanked in the database and never sent again: not in history, not in a conversation's last_message, " +
		"not in a recovering Socket.IO client's replay."}
}

func groupOperations() []operation {
	id := pathParam("id", "Room id", true)
	userID := pathParam("user_id", "User id", true)
	msgID := pathParam("id", "Message id", true)
	return []operation{
		{method: "POST", path: "/api/rooms/{id}/members", tag: "groups", summary: "Add a user to a room (owner or admin; not a conversation); event member_added", auth: authRequired,
			params: []obj{id}, body: jsonBody(ref("AddMemberRequest")),
			responses: responses(obj{"201": ok("Added, as a member", ref("Member"))}, 400, 403, 404, 409)},
		{method: "DELETE", path: "/api/rooms/{id}/members/{user_id}", tag: "groups", summary: "Remove a member (owner or admin; anyone may remove themselves; never the owner); event member_removed, and in a private room their live connections there end at once", auth: authRequired,
			params: []obj{id, userID}, responses: responses(obj{"204": obj{"description": "Removed"}}, 400, 403, 404)},
		{method: "PUT", path: "/api/rooms/{id}/members/{user_id}", tag: "groups", summary: "Set a member's role, admin or member (owner only); event role_changed", auth: authRequired,
			params: []obj{id, userID}, body: jsonBody(ref("RoleRequest")),
			responses: responses(obj{"200": ok("The member with its new role", ref("Member"))}, 400, 403, 404)},
		{method: "PATCH", path: "/api/messages/{id}", tag: "groups", summary: "Edit a message (its author only; content as when posting); event message_edited", auth: authRequired,
			params: []obj{msgID}, body: jsonBody(ref("EditMessageRequest")),
			responses: responses(obj{"200": ok("The message as it now reads, edited_at set", ref("Message"))}, 400, 403, 404, 429)},
		{method: "DELETE", path: "/api/messages/{id}", tag: "groups", summary: "Delete a message (its author, or the room's owner or an admin); its text is gone for good; event message_deleted", auth: authRequired,
			params: []obj{msgID}, responses: responses(obj{"204": obj{"description": "Deleted"}}, 400, 403, 404)},
	}
}

// withGroupSchemas adds this feature's schemas to schemas and its fields to
// Room, Message and MessageRequest.
func withGroupSchemas(schemas obj) obj {
	schemas["Member"] = obj{"allOf": []obj{ref("User"), object([]string{"role"}, obj{
		"role": obj{"type": "string", "enum": []string{"owner", "admin", "member"}},
	})}}
	schemas["AddMemberRequest"] = object([]string{"user_id"}, obj{"user_id": integer()})
	schemas["RoleRequest"] = object([]string{"role"}, obj{"role": obj{"type": "string", "enum": []string{"admin", "member"}}})
	schemas["EditMessageRequest"] = object([]string{"content"}, obj{
		"content": obj{"type": "string", "description": "Trimmed, at most MAX_MESSAGE_LENGTH; required unless the message carries a file."},
	})
	schemas["ReplyRef"] = object([]string{"id", "username", "content"}, obj{
		"id": integer(), "username": str(),
		"content": obj{"type": "string", "description": "The first 120 characters of the message replied to as it now reads; empty once it is deleted."},
	})
	schemas["MessageDeleted"] = object([]string{"id", "room_id", "deleted_at"}, obj{
		"type": obj{"type": "string", "const": "message_deleted", "description": "On /rooms/<id> and the raw WebSocket only."},
		"id":   integer(), "room_id": integer(), "deleted_at": datetime(),
	})
	schemas["MemberEvent"] = object([]string{"room_id", "user_id", "username", "by_user_id"}, obj{
		"type":    obj{"type": "string", "enum": []string{"member_added", "member_removed", "role_changed"}, "description": "On /rooms/<id> and the raw WebSocket only."},
		"room_id": integer(), "user_id": integer(), "username": str(),
		"role":       obj{"type": "string", "enum": []string{"admin", "member"}, "description": "member_added and role_changed: the role it now has."},
		"by_user_id": integer(),
	})
	addProps(schemas, "Room", obj{
		"my_role": obj{"type": []string{"string", "null"}, "enum": []any{"owner", "admin", "member", nil}, "description": "The caller's role; null when not a member."},
		"members": obj{"type": "array", "items": ref("Member"), "description": "May be capped for large public rooms."},
	})
	addProps(schemas, "Message", obj{
		"edited_at":  obj{"type": []string{"string", "null"}, "format": "date-time", "description": "When the text was last edited; null if never."},
		"deleted_at": obj{"type": "string", "format": "date-time", "description": "Only on deleted messages listed with include_deleted=true (content is then empty)."},
		"reply_to":   obj{"oneOf": []obj{ref("ReplyRef"), {"type": "null"}}, "description": "The message this one answers, or null."},
	})
	addProps(schemas, "MessageRequest", obj{
		"reply_to_id": obj{"type": []string{"integer", "null"}, "description": "Answer this message; it must be a message of the same room (400 otherwise, 404 when it does not exist)."},
	})
	return schemas
}

// includeDeletedParam is history's include_deleted.
func includeDeletedParam() obj {
	return queryParam("include_deleted", "true: deleted messages are listed too, with deleted_at and empty content.", boolean())
}

func addProps(schemas obj, name string, props obj) {
	s, _ := schemas[name].(obj)
	if s == nil {
		return
	}
	p, _ := s["properties"].(obj)
	if p == nil {
		return
	}
	for k, v := range props {
		p[k] = v
	}
}
