package handlers

// apiOperations is every route of the service as the contract's REST table
// describes it. Keep it in step with routes.go: openapi_test.go compares them.

func apiTags() []obj {
	return []obj{
		{"name": "service", "description": "Health, status, documentation and metrics."},
		{"name": "users", "description": "Accounts and tokens."},
		{"name": "rooms", "description": "Rooms, membership and messages."},
		{"name": "conversations", "description": "One-to-one conversations (private two-member rooms)."},
		{"name": "files", "description": "Uploads."},
		{"name": "realtime", "description": "Presence and the raw WebSocket. When a user loses access to a room (leaves a private " +
			"room or conversation, the room becomes private and they are not a member, the room is deleted) or their password " +
			"changes, every door of every instance stops delivering to their live connections at once and tells them " +
			"(schema LiveAccessEnded): Socket.IO `/` emits `left_room` {message, room_id, user_id, username, reason} to that " +
			"socket and `user_left` to the others (a password change: `error` with code `session_ended`, then a namespace " +
			"disconnect); `/rooms/<id>` emits `error` then disconnects the namespace (client reason `io server disconnect`); the raw " +
			"WebSocket sends an `error` frame, then closes with 1008. A recovering Socket.IO client gets nothing replayed " +
			"before it is authenticated, only the rooms it may still read, and nothing at all when it authenticates as another user."},
	}
}

func apiOperations() []operation {
	id := pathParam("id", "Room id", true)
	paging := []obj{
		queryParam("limit", "At most this many (default 100, max 500); the newest when no cursor is given.", obj{"type": "integer", "minimum": 1, "maximum": 500, "default": 100}),
		queryParam("before_id", "Only messages older than this id.", integer()),
		queryParam("after_id", "Only messages newer than this id, the oldest of them first: a cursor even at 0 (after_id=0 gives the room's first `limit` messages).", integer()),
		queryParam("skip", "Skip this many.", obj{"type": "integer", "minimum": 0}),
		includeDeletedParam(),
	}
	// History answers are tagged and revalidated (issue 25): a browser's own
	// cache turns a poll of an unchanged page into a 304 without a body.
	historyHeaders := obj{
		"ETag":          obj{"description": "Names the bytes of this page (the same on every instance); send it back in If-None-Match.", "schema": obj{"type": "string"}},
		"Cache-Control": obj{"description": "`no-cache, private`: a cache must revalidate before every use.", "schema": obj{"type": "string"}},
	}
	messages := ok("Messages, oldest first", arrayOf(ref("Message")))
	messages["headers"] = historyHeaders
	notModified := obj{"description": "Not modified: the page named by If-None-Match is still current (no body). Access is checked first: a reader who lost the room gets 403/404, never 304.", "headers": historyHeaders}
	paging = append(paging, obj{"name": "If-None-Match", "in": "header", "required": false,
		"description": "Entity tags of pages the client holds (a list, weak or strong, or `*`): 304 when one names the current page.", "schema": obj{"type": "string"}})
	authResult := func(code, desc string) obj { return obj{code: ok(desc, ref("AuthResult"))} }
	loginBody := obj{"required": true, "content": obj{
		"application/json":                  obj{"schema": ref("LoginRequest")},
		"application/x-www-form-urlencoded": obj{"schema": ref("LoginRequest")},
	}}
	uploadOne := obj{"required": true, "content": obj{"multipart/form-data": obj{"schema": object([]string{"file"}, obj{
		"file":    obj{"type": "string", "contentMediaType": "application/octet-stream"},
		"room_id": obj{"type": "integer", "description": "Also post a message with the file in this room."},
	})}}}
	uploadMany := obj{"required": true, "content": obj{"multipart/form-data": obj{"schema": object(nil, obj{
		"file":        obj{"type": "string", "contentMediaType": "application/octet-stream"},
		"files":       obj{"type": "array", "maxItems": 10, "items": obj{"type": "string", "contentMediaType": "application/octet-stream"}},
		"room_id":     integer(),
		"description": str(),
	})}}}
	fileList := []obj{
		queryParam("room_id", "Only the caller's files attached to this room ([] for a room holding none).", obj{"type": "integer", "minimum": 1}),
		queryParam("skip", "Skip this many.", obj{"type": "integer", "minimum": 0}),
		queryParam("limit", "At most this many (default 100, max 500).", obj{"type": "integer", "minimum": 0, "maximum": 500}),
	}
	fileBytes := obj{"description": "The file's bytes: Content-Type by its extension, nosniff, Content-Disposition inline for images, audio " +
		"and video (not SVG), attachment otherwise, with the original name; ranges are served from local disk",
		"content": obj{"application/octet-stream": obj{"schema": obj{"type": "string", "contentMediaType": "application/octet-stream"}}}}
	html := func(desc string) obj {
		return obj{"description": desc, "content": obj{"text/html": obj{"schema": str()}}}
	}

	return []operation{
		{method: "GET", path: "/", tag: "service", summary: "Service information for programs (JSON); browsers get the web client (or, with WEB_CLIENT=off, a page of links)",
			responses: responses(obj{"200": obj{"description": "Service information", "content": obj{
				"application/json": obj{"schema": ref("ServiceInfo")}, "text/html": obj{"schema": str()}}}})},
		{method: "GET", path: "/app/{path}", tag: "service", summary: "The web client's scripts, styles and icons (this build's content hash, then the file name; cached for a year; not mounted with WEB_CLIENT=off)",
			params:    []obj{pathParam("path", "<build hash>/<file>, as the page names it", false)},
			responses: responses(obj{"200": obj{"description": "The file", "content": obj{"text/javascript": obj{"schema": str()}, "text/css": obj{"schema": str()}, "image/svg+xml": obj{"schema": str()}}}}, 404)},
		{method: "GET", path: "/health", tag: "service", summary: "Health with a database check",
			responses: obj{"200": ok("Healthy or degraded", ref("Health")), "503": ok("Unhealthy", ref("Health"))}},
		{method: "GET", path: "/api/status", tag: "service", summary: "Server status and version",
			responses: responses(obj{"200": ok("Running", ref("Status"))})},
		{method: "GET", path: "/openapi.json", tag: "service", summary: "This document",
			responses: responses(obj{"200": ok("OpenAPI 3.1 document", obj{"type": "object"})})},
		{method: "GET", path: "/docs", tag: "service", summary: "Browsable API documentation",
			responses: responses(obj{"200": html("Redoc page")})},
		{method: "GET", path: "/docs/redoc.standalone.js", tag: "service", summary: "The pinned Redoc bundle /docs uses (embedded; no CDN)",
			responses: responses(obj{"200": obj{"description": "JavaScript", "content": obj{"text/javascript": obj{"schema": str()}}},
				"304": obj{"description": "Not modified (ETag)"}})},
		{method: "GET", path: "/metrics", tag: "service", summary: "Prometheus metrics (Bearer METRICS_TOKEN or ?token= when METRICS_TOKEN is set)", auth: authMetrics,
			params:    []obj{queryParam("token", "METRICS_TOKEN, for scrapers that cannot send a header.", str())},
			responses: responses(obj{"200": obj{"description": "Prometheus text format", "content": obj{"text/plain": obj{"schema": str()}}}}, 401)},

		{method: "POST", path: "/api/users/register", tag: "users", summary: "Create an account", body: jsonBody(ref("RegisterRequest")),
			responses: responses(authResult("201", "Created, with a token"), 400, 409, 429, 503)},
		{method: "POST", path: "/api/register", tag: "users", summary: "Create an account (alias)", body: jsonBody(ref("RegisterRequest")),
			responses: responses(authResult("201", "Created, with a token"), 400, 409, 429, 503)},
		{method: "POST", path: "/api/users/login", tag: "users", summary: "Log in with email or username", body: loginBody,
			responses: responses(authResult("200", "Logged in"), 400, 401, 429, 503)},
		{method: "POST", path: "/api/login", tag: "users", summary: "Log in (alias)", body: loginBody,
			responses: responses(authResult("200", "Logged in"), 400, 401, 429, 503)},
		{method: "GET", path: "/api/users/me", tag: "users", summary: "The caller", auth: authRequired,
			responses: responses(obj{"200": ok("The caller", ref("UserSelf"))})},
		{method: "PUT", path: "/api/users/me", tag: "users", summary: "Update the caller", auth: authRequired, body: jsonBody(ref("UpdateMeRequest")),
			responses: responses(obj{"200": ok("Updated", ref("UpdateMeResult"))}, 400, 403, 409, 503)},
		{method: "GET", path: "/api/users/me/rooms", tag: "users", summary: "Rooms the caller belongs to", auth: authRequired,
			responses: responses(obj{"200": ok("Rooms", arrayOf(ref("Room")))})},
		{method: "GET", path: "/api/users/me/files", tag: "files", summary: "Files the caller uploaded", auth: authRequired, params: fileList,
			responses: responses(obj{"200": ok("Files, newest first", arrayOf(ref("File")))}, 400)},
		{method: "GET", path: "/api/users", tag: "users", summary: "List users", auth: authRequired,
			params: []obj{
				queryParam("skip", "Skip this many.", obj{"type": "integer", "minimum": 0}),
				queryParam("limit", "At most this many.", obj{"type": "integer", "minimum": 1}),
			},
			responses: responses(obj{"200": ok("Users", arrayOf(ref("User")))}, 400)},
		{method: "GET", path: "/api/users/search", tag: "users", summary: "Up to 10 users whose username contains the query, never the caller", auth: authRequired,
			params:    []obj{queryParam("query", "Part of a username (case-insensitive); empty gives [].", str())},
			responses: responses(obj{"200": ok("Users", arrayOf(ref("User")))})},
		{method: "GET", path: "/api/users/username/{username}", tag: "users", summary: "A user by username", auth: authRequired,
			params:    []obj{pathParam("username", "Username", false)},
			responses: responses(obj{"200": ok("The user", ref("User"))}, 404)},
		{method: "GET", path: "/api/users/{id}", tag: "users", summary: "A user by id", auth: authRequired,
			params:    []obj{pathParam("id", "User id", true)},
			responses: responses(obj{"200": ok("The user", ref("User"))}, 400, 404)},

		{method: "GET", path: "/api/rooms", tag: "rooms", summary: "Public rooms plus the caller's private rooms (token optional), oldest first", auth: authOptional,
			params: []obj{
				queryParam("skip", "Skip this many (FastAPI generation's paging).", obj{"type": "integer", "minimum": 0}),
				queryParam("limit", "At most this many; absent or 0: every room.", obj{"type": "integer", "minimum": 0}),
			},
			responses: responses(obj{"200": ok("Rooms", arrayOf(ref("Room")))}, 400, 401)},
		{method: "POST", path: "/api/rooms", tag: "rooms", summary: "Create a room; the creator becomes a member", auth: authRequired, body: jsonBody(ref("RoomRequest")),
			responses: responses(obj{"201": ok("Created", ref("Room"))}, 400)},
		{method: "GET", path: "/api/rooms/{id}", tag: "rooms", summary: "A room (private: members only)", auth: authRequired, params: []obj{id},
			responses: responses(obj{"200": ok("The room", ref("Room"))}, 403, 404)},
		{method: "PUT", path: "/api/rooms/{id}", tag: "rooms", summary: "Update a room (creator only); a conversation stays private (is_private false: 403); made private, non-members' live connections are cut", auth: authRequired, params: []obj{id}, body: jsonBody(ref("RoomUpdate")),
			responses: responses(obj{"200": ok("Updated", ref("Room"))}, 400, 403, 404)},
		{method: "DELETE", path: "/api/rooms/{id}", tag: "rooms", summary: "Delete a room (creator only) with its messages and its files, private or public room alike: their rows and stored objects, so neither their plain URLs nor signed links read them any more; every live connection to it is cut", auth: authRequired, params: []obj{id},
			responses: responses(obj{"200": ok("Deleted", ref("RoomResult"))}, 403, 404)},
		{method: "POST", path: "/api/rooms/{id}/join", tag: "rooms", summary: "Join a room (private rooms and conversations: members only)", auth: authRequired, params: []obj{id},
			responses: responses(obj{"200": ok("Joined", ref("RoomResult"))}, 403, 404)},
		{method: "POST", path: "/api/rooms/{id}/leave", tag: "rooms", summary: "Leave a room (not the creator); leaving a private room or conversation cuts the caller's live connections to it", auth: authRequired, params: []obj{id},
			responses: responses(obj{"200": ok("Left", ref("RoomResult"))}, 400, 403, 404)},
		{method: "GET", path: "/api/rooms/{id}/members", tag: "rooms", summary: "Members of a room", auth: authRequired, params: []obj{id},
			responses: responses(obj{"200": ok("Members, each with its role", arrayOf(ref("Member")))}, 403, 404)},
		{method: "GET", path: "/api/rooms/{id}/messages", tag: "rooms", summary: "Messages of a room", auth: authRequired, params: append([]obj{id}, paging...),
			responses: responses(obj{"200": messages, "304": notModified}, 400, 403, 404)},
		{method: "POST", path: "/api/rooms/{id}/messages", tag: "rooms", summary: "Post a message; it is delivered live like one sent over Socket.IO (503 when the database has not stored it within DB_WRITE_TIMEOUT)", auth: authRequired,
			params: []obj{id}, body: jsonBody(ref("MessageRequest")),
			responses: responses(obj{"201": ok("Stored and delivered", ref("Message"))}, 400, 403, 404, 429, 503)},
		{method: "GET", path: "/api/rooms/{id}/files", tag: "files", summary: "Files of a room, newest first (private: members only)", auth: authRequired, params: []obj{id},
			responses: responses(obj{"200": ok("Files", arrayOf(ref("File")))}, 403, 404)},

		{method: "POST", path: "/api/conversations", tag: "conversations", summary: "Start or find the conversation with a user", auth: authRequired, body: jsonBody(ref("RecipientRequest")),
			responses: responses(obj{"201": ok("New conversation", ref("ConversationStart")), "200": ok("Existing conversation", ref("ConversationStart"))}, 400, 404)},
		{method: "POST", path: "/api/conversations/initiate", tag: "conversations", summary: "Start or find the conversation with a user (FastAPI form)", auth: authRequired, body: jsonBody(ref("RecipientRequest")),
			responses: responses(obj{"201": ok("Created", ref("ConversationInitiate")), "200": ok("Existing", ref("ConversationInitiate"))}, 400, 404)},
		{method: "GET", path: "/api/conversations", tag: "conversations", summary: "The caller's conversations, newest activity first", auth: authRequired,
			responses: responses(obj{"200": ok("Conversations", arrayOf(ref("Conversation")))})},
		{method: "GET", path: "/api/conversations/{id}/messages", tag: "conversations", summary: "Messages of a conversation (members only)", auth: authRequired,
			params: append([]obj{pathParam("id", "Conversation room id", true)}, paging...), responses: responses(obj{"200": messages, "304": notModified}, 400, 403, 404)},

		{method: "POST", path: "/api/upload", tag: "files", summary: "Upload one file; with room_id it is also posted as a message", auth: authRequired, body: uploadOne,
			responses: responses(obj{"201": ok("Stored", ref("UploadResult"))}, 400, 403, 404, 413, 415, 429, 503)},
		{method: "POST", path: "/api/uploads", tag: "files", summary: "Upload one file, or up to 10 as files", auth: authRequired, body: uploadMany,
			responses: responses(obj{"201": ok("A File, or [File] for several", obj{"oneOf": []obj{ref("File"), arrayOf(ref("File"))}})}, 400, 403, 404, 413, 415, 429, 503)},
		{method: "GET", path: "/api/uploads/types/allowed", tag: "files", summary: "What may be uploaded", auth: authNone,
			responses: responses(obj{"200": ok("Limits", ref("UploadTypes"))})},
		{method: "GET", path: "/api/uploads", tag: "files", summary: "Files the caller uploaded, newest first (FastAPI generation's list)", auth: authRequired,
			params:    fileList,
			responses: responses(obj{"200": ok("Files, newest first", arrayOf(ref("File")))}, 400)},
		{method: "GET", path: "/api/uploads/{id}", tag: "files", summary: "A file", auth: authRequired, params: []obj{pathParam("id", "File id", true)},
			responses: responses(obj{"200": ok("The file", ref("File"))}, 403, 404)},
		{method: "GET", path: "/api/uploads/{id}/download", tag: "files", summary: "The file's bytes, to whoever may see the file: its uploader, " +
			"or a reader of its room (a private room's: members only, 403 to others); a file of no room is its uploader's alone (404 to others)",
			auth: authRequired, params: []obj{pathParam("id", "File id", true)},
			responses: responses(obj{"200": fileBytes}, 400, 403, 404, 502, 504)},
		{method: "DELETE", path: "/api/uploads/{id}", tag: "files", summary: "Delete a file and its stored object (uploader only)", auth: authRequired,
			params: []obj{pathParam("id", "File id", true)}, responses: responses(obj{"200": ok("Deleted", object([]string{"message", "id"}, obj{"message": str(), "id": integer()}))}, 403, 404, 503)},
		{method: "GET", path: "/api/files/{id}", tag: "files", summary: "A file id: the File (alias of GET /api/uploads/{id}). A stored " +
			"filename (<uuid>_<name>, as in File.filename): the file's bytes, under the same rule as GET /api/uploads/{id}/download",
			auth: authRequired, params: []obj{{"name": "id", "in": "path", "required": true, "description": "File id, or stored filename",
				"schema": obj{"oneOf": []obj{{"type": "integer", "minimum": 1}, {"type": "string", "pattern": "^[0-9a-f-]{36}_.+$"}}}}},
			responses: responses(obj{"200": obj{"description": "The File (by id) or the file's bytes (by stored name)",
				"content": obj{"application/json": obj{"schema": ref("File")},
					"application/octet-stream": obj{"schema": obj{"type": "string", "contentMediaType": "application/octet-stream"}}}}},
				400, 403, 404, 502, 504)},
		{method: "GET", path: "/api/files", tag: "files", summary: "Files the caller uploaded, newest first", auth: authRequired,
			params:    fileList,
			responses: responses(obj{"200": ok("Files", arrayOf(ref("File")))}, 400)},

		{method: "GET", path: "/api/ws/rooms/{id}/online", tag: "realtime", summary: "Who is online in a room (token in the header or, as the FastAPI generation sent it, in ?token=)", auth: authRequired,
			params:    []obj{id, queryParam("token", "JWT, when no Authorization header is sent.", str())},
			responses: responses(obj{"200": ok("Online users", ref("OnlineUsers"))}, 403, 404)},
		{method: "GET", path: "/api/ws/{room_id}", tag: "realtime", summary: "Raw WebSocket of a room (JSON frames; token in the query). " +
			"A frame without a type but with content (or file_id) is a message, as the FastAPI server took it; one with neither gets an error frame",
			params: []obj{pathParam("room_id", "Room id", true), {"name": "token", "in": "query", "required": true, "schema": str(), "description": "JWT"}},
			responses: obj{"101": obj{"description": "Switching to WebSocket; a bad token or missing room closes with code 1008; " +
				"when access ends (see the realtime tag) an error frame (LiveAccessEnded) comes first, then close 1008"},
				"400": obj{"$ref": "#/components/responses/E400"},
				"403": obj{"description": "The page's Origin is not in ALLOWED_ORIGINS (as for every websocket upgrade, Socket.IO's included)"}}},
	}
}
