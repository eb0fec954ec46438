package sockets

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/izpochat/server/chat"
	"github.com/izpochat/server/clientip"
)

// admitConnection charges a new real-time connection to the client's IP before
// any work is done for it; a refusal is answered here, as the REST door answers
// one: 429, Retry-After and the contract's error body. Clients retry with their
// usual reconnect backoff.
func admitConnection(o Options, w http.ResponseWriter, r *http.Request) bool {
	err := o.Service.AdmitConnection(r.Context(), clientip.Of(r))
	if err == nil {
		return true
	}
	if retry := chat.RetryAfterSeconds(err); retry > 0 {
		w.Header().Set("Retry-After", strconv.FormatInt(retry, 10))
	}
	status := http.StatusTooManyRequests
	if chat.KindOf(err) != chat.KindRateLimited {
		status = http.StatusServiceUnavailable
	}
	writeJSONError(w, status, chat.PublicMessage(err))
	return false
}

// writeJSONError answers a plain HTTP request in the contract's error shape.
func writeJSONError(w http.ResponseWriter, status int, msg string) {
	body, _ := json.Marshal(map[string]string{"error": msg, "detail": msg})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// admitSessions limits new Engine.IO sessions: a request without a sid is a
// handshake (polling, or a websocket-only client's upgrade). Requests of an
// existing session, forwarded ones included, are not new connections.
func (d *sioDoor) admitSessions(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Query().Get("sid") == "" && !admitConnection(d.opts, w, r) {
			return
		}
		next.ServeHTTP(w, r)
	})
}
