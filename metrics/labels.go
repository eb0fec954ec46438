package metrics

import (
	"strings"

	"github.com/izpochat/server/sockets/events"
)

// Label values come from clients (event names, namespaces), so each is folded
// into a fixed set: an unbounded label would grow the registry without limit.

// otherLabel stands for any value outside a fixed set.
const otherLabel = "other"

var knownTransports = map[string]bool{"polling": true, "websocket": true, "webtransport": true, "raw": true}

func transportLabel(t string) string {
	if knownTransports[t] {
		return t
	}
	return otherLabel
}

// eventLabel folds event names to the contract's (sockets/events), both
// directions.
func eventLabel(name string) string {
	if events.Known(name) {
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
