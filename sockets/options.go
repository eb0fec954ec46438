package sockets

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/zishang520/socket.io/v2/socket"

	"github.com/izpochat/server/chat"
	"github.com/izpochat/server/config"
	"github.com/izpochat/server/metrics"
)

// Options configures the real-time doors.
type Options struct {
	Service *chat.Service
	Logger  *slog.Logger
	// AllowedOrigins narrows CORS and websocket origins; nil allows every origin.
	AllowedOrigins []string
	SocketIO       config.SocketIO
	RateLimit      config.RateLimit
	// WriteTimeout bounds one write to a client before it is dropped (default 10s).
	WriteTimeout time.Duration

	// ClusterAdapter joins the Socket.IO server to the other instances' (nil: one
	// instance). The door's emits for hub events stay local: the hub already
	// brought them to every instance.
	ClusterAdapter socket.AdapterConstructor
	// Metrics receives connection, event and delivery counts (default: none).
	Metrics metrics.Recorder

	// Sessions routes Engine.IO requests to the instance holding their session
	// (nil: one instance, every session is local).
	Sessions SessionRouter
}

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

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Metrics == nil {
		o.Metrics = metrics.Nop{}
	}
	if o.SocketIO.PingInterval <= 0 {
		o.SocketIO.PingInterval = config.DefaultPingInterval
	}
	if o.SocketIO.PingTimeout <= 0 {
		o.SocketIO.PingTimeout = config.DefaultPingTimeout
	}
	if o.SocketIO.MaxPayload <= 0 {
		o.SocketIO.MaxPayload = config.DefaultMaxPayload
	}
	if o.SocketIO.SendQueue <= 0 {
		o.SocketIO.SendQueue = config.DefaultSendQueue
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = config.DefaultSocketWriteTimeout
	}
	return o
}
