package sockets

import (
	"net/http"

	ws "github.com/gorilla/websocket"

	"github.com/izpochat/server/config"
)

// refuseForeignUpgrades answers 403 to a websocket upgrade whose Origin
// ALLOWED_ORIGINS does not allow (config.OriginAllowed, the check REST CORS and
// the raw door use), before the Socket.IO engine sees it. The engine itself
// accepts any origin on an upgrade (its CORS only writes headers, and its
// AllowRequest runs only on handshakes, not on the upgrade of a polling session).
// Websockets are outside CORS: a browser opens one to any origin, so the server
// must refuse it. Requests without an Origin (non-browser clients) pass.
func refuseForeignUpgrades(allowed []string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ws.IsWebSocketUpgrade(r) && !config.OriginAllowed(allowed, r.Header.Get("Origin")) {
			refuseOrigin(w)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// refuseOrigin answers the contract's 403 for a foreign origin.
func refuseOrigin(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusForbidden)
	_, _ = w.Write([]byte(`{"error":"origin not allowed","detail":"origin not allowed"}`))
}
