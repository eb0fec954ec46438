package metrics

import "strings"

// Label values come from clients (event names, namespaces), so each is folded
// into a fixed set: an unbounded label would grow the registry without limit.

// otherLabel stands for any value outside a fixed set.
const otherLabel = "other"

var knownTransports = map[string]bool{"polling": true, "websocket": true, "webtransport": true, "raw": true}

// knownEvents are the events of the client contract, both directions.
var knownEvents = map[string]bool{
	// client → server
	"join_room": true, "leave_room": true, "send_message": true, "typing": true, "message": true, "ping": true,
	// server → client
	"connected": true, "joined_room": true, "user_joined": true, "users_online": true, "left_room": true,
	"user_left": true, "new_message": true, "message_sent": true, "error": true, "welcome": true, "pong": true,
	"connect": true, "disconnect": true,
}

func transportLabel(t string) string {
	if knownTransports[t] {
		return t
	}
	return otherLabel
}

func eventLabel(name string) string {
	if knownEvents[name] {
		return name
	}
	return otherLabel
}

// namespaceLabel folds per-room namespaces ("/rooms/12") into "/rooms/{id}" and
// raw WebSocket paths ("/api/ws/12") into "/api/ws/{room_id}".
func namespaceLabel(ns string) string {
	switch {
	case ns == "" || ns == "/":
		return "/"
	case ns == "/socket.io":
		return "/socket.io" // the main namespace's alias for an old Angular build
	case strings.HasPrefix(ns, "/rooms/"):
		return "/rooms/{id}"
	case strings.HasPrefix(ns, "/api/ws"):
		return "/api/ws/{room_id}" // the raw WebSocket door
	default:
		return otherLabel
	}
}
