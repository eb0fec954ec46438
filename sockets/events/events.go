// Package events names every live event of the client contract, once: the
// Socket.IO event names and the raw WebSocket frame types (their "type"
// field), in both directions. The doors route and send by these names, and the
// metrics fold their event labels to them. It imports nothing, so every
// package may use it.
package events

// Sent by clients.
const (
	JoinRoom    = "join_room"    // "/": join a chat room
	LeaveRoom   = "leave_room"   // "/": leave it
	SendMessage = "send_message" // "/": post a message
	Ping        = "ping"         // raw WebSocket: answered with Pong
	// Edits and deletions (issue 23.2): Socket.IO events and raw WebSocket types.
	EditMessage   = "edit_message"   // "/" and "/rooms/<id>": {message_id, content}
	DeleteMessage = "delete_message" // "/" and "/rooms/<id>": {message_id}
	Edit          = "edit"           // raw WebSocket: {type, message_id, content}
	Delete        = "delete"         // raw WebSocket: {type, message_id}
	// Read state (issue 23.5).
	MarkRead = "mark_read" // "/": {room_id, message_id}; "/rooms/<id>": {message_id}
	// Read (raw WebSocket: {type, message_id}, its room) is also sent by the server, below.
	// Reactions (issue 23.4): Socket.IO events and raw WebSocket types alike.
	React   = "react"   // "/", "/rooms/<id>" and raw WebSocket: {message_id, emoji}
	Unreact = "unreact" // "/", "/rooms/<id>" and raw WebSocket: {message_id, emoji}
	// Typing (every door) and Message ("/rooms/<id>" and raw WebSocket: post
	// a message) are also sent by the server, below.
)

// Sent by the server.
const (
	Connected   = "connected"    // "/": the socket is authenticated
	Welcome     = "welcome"      // "/rooms/<id>", raw WebSocket: the room is entered
	JoinedRoom  = "joined_room"  // "/": to the room, the joiner included
	LeftRoom    = "left_room"    // "/": a leave, or the end of access
	UsersOnline = "users_online" // to the joiner: who is in the room
	UserJoined  = "user_joined"  // presence
	UserLeft    = "user_left"    // presence
	NewMessage  = "new_message"  // "/": a stored message
	MessageSent = "message_sent" // "/": to the sender, its message stored
	Message     = "message"      // "/rooms/<id>", raw WebSocket: a stored message (also sent by clients)
	Typing      = "typing"       // every door (also sent by clients)
	Error       = "error"        // a failed event, or the reason access ended
	Pong        = "pong"         // raw WebSocket: the answer to Ping
	// Issue 23.1 and 23.2, on every door.
	MessageEdited  = "message_edited"  // the edited Message
	MessageDeleted = "message_deleted" // {id, room_id, deleted_at}
	MemberAdded    = "member_added"    // to the room
	MemberRemoved  = "member_removed"  // to the room
	RoleChanged    = "role_changed"    // to the room
	// Issue 23.5, on every door: a reader's marker moved.
	Read = "read" // {room_id, user_id, message_id}; also sent by raw WebSocket clients
	// Issue 23.4, on every door, to the room: {message_id, room_id, emoji, user_id}.
	ReactionAdded   = "reaction_added"
	ReactionRemoved = "reaction_removed"
	// Issue 23.6, to one user's sockets on "/" and raw WebSocket connections
	// wherever they are (member_added too, to the added user).
	Mention             = "mention"              // {message_id, room_id, user_id, by: {id, username}, excerpt}
	ConversationStarted = "conversation_started" // {room_id, room, other_user}
)

// The library's own events, which a client may name too.
const (
	Connect    = "connect"
	Disconnect = "disconnect"
)

// Known reports whether name is an event of the contract (or the library's):
// metrics label any other as "other".
func Known(name string) bool {
	switch name {
	case JoinRoom, LeaveRoom, SendMessage, Ping,
		Connected, Welcome, JoinedRoom, LeftRoom, UsersOnline, UserJoined, UserLeft, NewMessage, MessageSent,
		Message, Typing, Error, Pong, Connect, Disconnect,
		EditMessage, DeleteMessage, Edit, Delete, MessageEdited, MessageDeleted, MemberAdded, MemberRemoved, RoleChanged,
		MarkRead, Read,
		React, Unreact, ReactionAdded, ReactionRemoved,
		Mention, ConversationStarted:
		return true
	}
	return false
}
