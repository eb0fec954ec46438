package sio

import (
	"net/http"

	"github.com/zishang520/engine.io/v2/engine"
)

// SessionRouter makes this instance's Engine.IO sessions reachable through the
// others and reaches theirs, for long-polling without sticky sessions.
type SessionRouter interface {
	// Opened is called when a session starts here, before its handshake answer is sent.
	Opened(sid string)
	// Closed is called when a session held here ends.
	Closed(sid string)
	// Forward serves a request for a session this instance does not hold.
	Forward(w http.ResponseWriter, r *http.Request, sid string)
}

// RouteSessions records sessions started here with the router and sends
// requests for sessions held elsewhere (polling, or the websocket upgrade of a
// polling session) to their instance; next serves the others.
func (s *Server) RouteSessions(router SessionRouter, next http.Handler) http.Handler {
	eng := s.io.Engine()
	// Engine.IO emits "connection" synchronously while handling the handshake
	// request, before our handler returns and the answer is flushed, so the
	// session is registered before the client can send its next request.
	_ = eng.On("connection", func(args ...any) {
		conn, ok := args[0].(engine.Socket)
		if !ok {
			return
		}
		sid := conn.Id()
		router.Opened(sid)
		_ = conn.Once("close", func(...any) { router.Closed(sid) })
	})
	clients := eng.Clients()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sid := r.URL.Query().Get("sid")
		if sid == "" {
			next.ServeHTTP(w, r)
			return
		}
		if _, local := clients.Load(sid); local {
			next.ServeHTTP(w, r)
			return
		}
		router.Forward(w, r, sid)
	})
}
