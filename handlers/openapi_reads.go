package handlers

// The documentation of issue 23.5 (read state and receipts), kept apart like
// openapi_groups.go: its operations, its schemas, and the fields it adds to
// Room and Conversation.

func readsTag() obj {
	return obj{"name": "reads", "description": "Read state and receipts. Each reader of a room has a marker: the newest message id it has read there. " +
		"`POST /api/rooms/{id}/read` moves it; it never moves backwards (an older id is accepted and changes nothing). " +
		"Every room a signed-in user lists (`/api/rooms`, `/api/rooms/{id}`, `/api/users/me/rooms`, `/api/conversations`, the conversation answers) shows " +
		"`last_read_id` (null: never marked) and `unread_count`: the messages of others, not deleted, after the marker (every one when never marked), " +
		"counted up to 100: `unread_count` 100 means 100 or more. Socket.IO client event `mark_read` {room_id, message_id} on `/` " +
		"({message_id} on `/rooms/<id>`; ack {status, room_id, user_id, last_read_id, unread_count}); raw WebSocket frame in " +
		"`{type:\"read\", message_id}` for its room. Server event `read` (ReadEvent) to the room on `/`, `/rooms/<id>` and the raw WebSocket " +
		"(there with its `type`), on every instance, only when a marker moves."}
}

func readOperations() []operation {
	id := pathParam("id", "Room id", true)
	return []operation{
		{method: "POST", path: "/api/rooms/{id}/read", tag: "reads", summary: "Mark the room read up to a message of it (a reader of the room; never backwards); event read when the marker moves", auth: authRequired,
			params: []obj{id}, body: jsonBody(ref("MarkReadRequest")),
			responses: responses(obj{"200": ok("The caller's read state of the room after the call", ref("ReadState"))}, 400, 403, 404)},
		{method: "GET", path: "/api/rooms/{id}/reads", tag: "reads", summary: "Read receipts: each reader's marker, the furthest first (at most 1000; in a private room its current members only)", auth: authRequired,
			params: []obj{id}, responses: responses(obj{"200": ok("The room's read markers", arrayOf(ref("RoomRead")))}, 400, 403, 404)},
	}
}

// withReadSchemas adds this feature's schemas to schemas and its fields to
// Room and Conversation.
func withReadSchemas(schemas obj) obj {
	schemas["MarkReadRequest"] = object([]string{"message_id"}, obj{
		"message_id": obj{"type": "integer", "description": "A message of this room (deleted or not): 400 when it is of another room, 404 when it does not exist."},
	})
	schemas["ReadState"] = object([]string{"room_id", "user_id", "last_read_id", "unread_count"}, obj{
		"room_id": integer(), "user_id": integer(), "last_read_id": nullable("integer"), "unread_count": integer(),
	})
	schemas["RoomRead"] = object([]string{"user_id", "last_read_id"}, obj{"user_id": integer(), "last_read_id": integer()})
	schemas["ReadEvent"] = object([]string{"room_id", "user_id", "message_id"}, obj{
		"type":    obj{"type": "string", "const": "read", "description": "On /rooms/<id> and the raw WebSocket only."},
		"room_id": integer(), "user_id": integer(), "message_id": obj{"type": "integer", "description": "The reader's marker now."},
	})
	lastRead := obj{"type": []string{"integer", "null"}, "description": "The newest message id the caller marked read here; null when never marked (or nobody is signed in)."}
	unread := obj{"type": []string{"integer", "null"}, "maximum": 100, "description": "Others' messages, not deleted, after last_read_id (all when never marked), " +
		"counted up to 100 (100 means 100 or more); null when nobody is signed in."}
	addProps(schemas, "Room", obj{"last_read_id": lastRead, "unread_count": unread})
	addProps(schemas, "Conversation", obj{"last_read_id": lastRead,
		"unread_count": obj{"type": "integer", "maximum": 100, "description": "As on Room."}})
	return schemas
}
