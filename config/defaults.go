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
)
