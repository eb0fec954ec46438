package sockets_test

import (
	"net/http"
	"testing"
	"time"

	ws "github.com/gorilla/websocket"
)

// TestWebSocketUpgradesFollowAllowedOrigins: with ALLOWED_ORIGINS set, a
// websocket upgrade from another origin is refused (403) on every door — the
// Socket.IO websocket handshake, the upgrade of a polling session, and the raw
// door — while an allowed origin and no origin at all (python-socketio,
// scripts) are accepted.
func TestWebSocketUpgradesFollowAllowedOrigins(t *testing.T) {
	a := newApp(t, "sqlite", withOrigins("https://app.example.com"))
	alice := a.register("alice")
	room := a.createRoom(alice, "general", false)

	// A polling session opened without an Origin, to upgrade from.
	pollingSid := func() string {
		return openPollingClient(t, a.srv.URL).SID
	}
	doors := map[string]func() string{
		"socket.io websocket": func() string { return "/socket.io/?EIO=4&transport=websocket" },
		"socket.io upgrade":   func() string { return "/socket.io/?EIO=4&transport=websocket&sid=" + pollingSid() },
		"raw":                 func() string { return "/api/ws/" + itoa(room) + "?token=" + alice.Token },
	}
	for door, path := range doors {
		for origin, want := range map[string]int{
			"https://evil.example.com": http.StatusForbidden,
			"https://app.example.com":  http.StatusSwitchingProtocols,
			"":                         http.StatusSwitchingProtocols,
		} {
			h := http.Header{}
			if origin != "" {
				h.Set("Origin", origin)
			}
			conn, res, err := ws.DefaultDialer.Dial(a.wsURL(path()), h)
			if res == nil || res.StatusCode != want {
				t.Errorf("%s from origin %q: %v %v, want %d", door, origin, res, err, want)
			}
			if conn != nil {
				// Let the server finish the session it opened before closing it.
				if door == "socket.io upgrade" {
					_ = conn.WriteMessage(ws.TextMessage, []byte("2probe"))
				}
				_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
				if _, first, err := conn.ReadMessage(); err != nil || len(first) == 0 {
					t.Errorf("%s from origin %q: first frame %q, %v", door, origin, first, err)
				}
				conn.Close()
			}
		}
	}
}
