package recovery

import (
	"strings"

	"github.com/zishang520/socket.io/v2/socket"
)

// legacyClient reports a client that must not get connection-state-recovery
// offsets appended to its events: EIO=3 clients cannot recover, and Python
// clients (python-engineio marks its requests with a float `t` timestamp) call
// handlers with every argument, so an extra offset breaks one-argument handlers.
//
// A namespace socket's state records it when the socket connects (Marker;
// the handshake is released after); LegacyHandshake reads it from the
// handshake.
func legacyClient(s *socket.Socket) bool {
	if st, ok := s.Data().(Marker); ok {
		return st.LegacyClient()
	}
	return LegacyHandshake(s)
}

// Marker is a socket state that recorded LegacyHandshake when it connected.
type Marker interface{ LegacyClient() bool }

// LegacyHandshake reads from the socket's handshake whether it is a legacy
// client (see legacyClient).
func LegacyHandshake(s *socket.Socket) bool {
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
