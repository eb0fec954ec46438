// Package wstransport is an Engine.IO websocket transport for
// github.com/zishang520/engine.io/v2 that writes every queued packet (the stock
// transport drops packets queued behind a pre-encoded broadcast frame), shares
// one encoded frame per broadcast, coalesces a flush into few write syscalls
// and bounds each connection's outgoing queue.
package wstransport

import (
	"log/slog"
	"time"
)

// Default option values.
const (
	DefaultQueueSize    = 1024
	DefaultWriteTimeout = 10 * time.Second
)

// Options configures the transport. Zero values select the defaults.
type Options struct {
	// QueueSize is the maximum number of packets waiting to be written to one
	// connection. A connection whose queue would exceed it is closed.
	QueueSize int
	// WriteTimeout bounds every write to the network so a stuck peer cannot
	// hold the writer forever.
	WriteTimeout time.Duration
	// Logger receives overflow warnings; slog.Default() when nil.
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.QueueSize <= 0 {
		o.QueueSize = DefaultQueueSize
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = DefaultWriteTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}
