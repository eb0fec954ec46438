package config

import (
	"slices"
	"strings"
)

// OriginAllowed is the one origin check of every door: REST CORS, Socket.IO (its
// CORS and every websocket upgrade, the one from polling included) and the raw
// WebSocket. allowed is Config.AllowedOrigins: nil allows every origin. A request
// without an Origin header is not from a browser page (python-socketio, scripts,
// raw clients) and is allowed: the check stops other sites' pages, not clients.
func OriginAllowed(allowed []string, origin string) bool {
	return origin == "" || allowed == nil || slices.Contains(allowed, strings.TrimSuffix(origin, "/"))
}
