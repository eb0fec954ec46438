package sockets

import (
	"net/url"
	"strings"

	"github.com/zishang520/socket.io/v2/socket"
)

// handshakeToken finds the token where the contract says, in order: the CONNECT
// auth payload {token}, the `token` query parameter, the Authorization header.
// A leading "Bearer " is stripped later by chat.Service.Authenticate.
func handshakeToken(h *socket.Handshake) string {
	if t := authToken(h.Auth); t != "" {
		return t
	}
	if q := h.Query["token"]; len(q) > 0 && strings.TrimSpace(q[0]) != "" {
		return q[0]
	}
	for k, v := range h.Headers {
		if strings.EqualFold(k, "Authorization") && len(v) > 0 && strings.TrimSpace(v[0]) != "" {
			return v[0]
		}
	}
	return ""
}

// authToken reads token from the CONNECT payload: an object for EIO=4 clients,
// the namespace query string for EIO=3 clients.
func authToken(auth any) string {
	switch a := auth.(type) {
	case map[string]any:
		for _, key := range []string{"token", "access_token", "Authorization", "authorization"} {
			if t, ok := a[key].(string); ok && strings.TrimSpace(t) != "" {
				return t
			}
		}
	case url.Values:
		return a.Get("token")
	case map[string][]string:
		if v := a["token"]; len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

// legacyClient reports a client that must not get connection-state-recovery
// offsets appended to its events: EIO=3 clients cannot recover, and Python
// clients (python-engineio marks its requests with a float `t` timestamp) call
// handlers with every argument, so an extra offset breaks one-argument handlers.
//
// Our namespace sockets record it in their state when they connect (their
// handshake is released after); legacyHandshake reads it from the handshake.
func legacyClient(s *socket.Socket) bool {
	if st, ok := s.Data().(interface{ legacyClient() bool }); ok {
		return st.legacyClient()
	}
	return legacyHandshake(s)
}

func legacyHandshake(s *socket.Socket) bool {
	if s.Conn().Protocol() == 3 {
		return true
	}
	h := s.Handshake()
	if t := h.Query["t"]; len(t) > 0 && strings.Contains(t[0], ".") {
		return true
	}
	for k, v := range h.Headers {
		if strings.EqualFold(k, "User-Agent") && len(v) > 0 {
			ua := strings.ToLower(v[0])
			if strings.HasPrefix(ua, "python") || strings.Contains(ua, "aiohttp") {
				return true
			}
		}
	}
	return false
}
