package sockets

import (
	"log/slog"
	"time"

	"github.com/izpochat/server/chat"
	"github.com/izpochat/server/config"
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
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.SocketIO.PingInterval <= 0 {
		o.SocketIO.PingInterval = 25 * time.Second
	}
	if o.SocketIO.PingTimeout <= 0 {
		o.SocketIO.PingTimeout = 20 * time.Second
	}
	if o.SocketIO.MaxPayload <= 0 {
		o.SocketIO.MaxPayload = 1_000_000
	}
	if o.SocketIO.SendQueue <= 0 {
		o.SocketIO.SendQueue = 1024
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 10 * time.Second
	}
	return o
}
