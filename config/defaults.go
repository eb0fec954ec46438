package config

import "time"

// Defaults that other packages fall back on when given a zero value (chat,
// sockets, wstransport), so each is written once, here. The defaults only
// config reads sit beside their settings (config.go, http.go, passwords.go).
const (
	DefaultMaxMessageLength = 5000 // MAX_MESSAGE_LENGTH, in characters
	DefaultMaxFiles         = 10   // MAX_FILES, per upload

	DefaultPingInterval   = 25 * time.Second // SOCKETIO_PING_INTERVAL
	DefaultPingTimeout    = 20 * time.Second // SOCKETIO_PING_TIMEOUT
	DefaultMaxPayload     = 1_000_000        // SOCKETIO_MAX_PAYLOAD, bytes: the engine's own maxHttpBufferSize
	DefaultRecoveryWindow = 2 * time.Minute  // SOCKETIO_RECOVERY_WINDOW
	DefaultSendQueue      = 1024             // SOCKET_SEND_QUEUE, packets per connection before it is dropped
	DefaultRecoveryMaxMB  = 16               // SOCKETIO_RECOVERY_MAX_MB, per namespace
	// DefaultSocketWriteTimeout bounds one write to a real-time client before it is dropped.
	DefaultSocketWriteTimeout = 10 * time.Second

	// DefaultAccessTTL is the room-access cache lifetime the server runs with.
	// Leaving, privacy and deletion reach every instance's cache at once as hub
	// events (chat/access_events.go); the TTL bounds only what no event
	// announces (a join elsewhere, an event lost while Redis was down).
	DefaultAccessTTL = 2 * time.Second
	// DefaultUserTTL is how long an authenticated user's row is reused. Every
	// change that matters to authentication (a new password, a new name, a
	// deleted account) reaches every instance's cache at once as a hub event;
	// the TTL bounds only a change whose event was lost (Redis down) or made
	// outside the server.
	DefaultUserTTL = 10 * time.Second
	// DefaultHistoryMaxAge bounds how stale a cached history page can be when an event was lost.
	DefaultHistoryMaxAge = 10 * time.Second
	// DefaultUploadTimeout bounds one storage request (UPLOAD_TIMEOUT).
	DefaultUploadTimeout = 60 * time.Second
	// DefaultMaxMembersListed is how many members a room's listing shows at most.
	DefaultMaxMembersListed = 100
)
