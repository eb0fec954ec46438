// Package wstransport is an Engine.IO websocket transport for
// github.com/zishang520/engine.io/v2 that writes every queued packet (the stock
// transport drops packets queued behind a pre-encoded broadcast frame), shares
// one encoded frame per broadcast, coalesces a flush into few write syscalls
// and bounds each connection's outgoing queue. On Linux, idle connections are
// watched by one epoll instance instead of a reader goroutine each.
package wstransport

import (
	"log/slog"
	"time"

	"github.com/izpochat/server/config"
)

// Default option values: the server's (config) for the same settings.
const (
	DefaultQueueSize    = config.DefaultSendQueue
	DefaultWriteTimeout = config.DefaultSocketWriteTimeout
	// DefaultMaxMessageSize matches the engine's default maxHttpBufferSize.
	DefaultMaxMessageSize = config.DefaultMaxPayload
)

// Options configures the transport. Zero values select the defaults.
type Options struct {
	// QueueSize is the maximum number of packets waiting to be written to one
	// connection. A connection whose queue would exceed it is closed.
	QueueSize int
	// WriteTimeout bounds every write to the network so a stuck peer cannot
	// hold the writer forever.
	WriteTimeout time.Duration
	// MaxMessageSize is the largest message accepted from a client; a larger
	// one closes the connection (1009). Set it to the engine's maxHttpBufferSize.
	MaxMessageSize int64
	// Logger receives overflow warnings; slog.Default() when nil.
	Logger *slog.Logger

	// poller watches idle connections (set by NewBuilder; nil: a reader
	// goroutine per connection).
	poller *poller
}

func (o Options) withDefaults() Options {
	if o.QueueSize <= 0 {
		o.QueueSize = DefaultQueueSize
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = DefaultWriteTimeout
	}
	if o.MaxMessageSize <= 0 {
		o.MaxMessageSize = DefaultMaxMessageSize
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}
