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
