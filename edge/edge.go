// Package edge is the server's HTTP edge: it bounds what one client can make us
// hold before any handler or library sees the request — how big a body may be
// (checked while it streams, chunked or not), how long a client may take to
// send it or to read the answer, and how many connections one address and all
// of them together may keep open.
package edge

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/izpochat/server/config"
)

// Options configures the edge.
type Options struct {
	HTTP config.HTTP
	// MaxPollingBody is the largest Socket.IO polling POST (SOCKETIO_MAX_PAYLOAD).
	MaxPollingBody int64
	// MaxUploadBody is the largest upload body, all its files and fields together.
	MaxUploadBody int64
	// LongPollWait is the longest a polling GET may wait for something to send
	// before its answer is written (ping interval + ping timeout).
	LongPollWait time.Duration
	Logger       *slog.Logger
}

// Edge holds the connection counts shared by the listener and the handler.
type Edge struct {
	opts  Options
	conns *conns
	log   *slog.Logger
}

// New builds the edge.
func New(o Options) *Edge {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	log := o.Logger.With("part", "edge")
	return &Edge{opts: o, log: log, conns: newConns(o.HTTP.MaxConns, o.HTTP.MaxConnsPerIP, o.HTTP.TrustedProxies, log)}
}

// Configure sets srv's header timeout and the hooks the connection caps need;
// srv must serve a listener from Listener.
func (e *Edge) Configure(srv *http.Server) {
	srv.ReadHeaderTimeout = e.opts.HTTP.ReadHeaderTimeout
	srv.ConnContext = e.conns.connContext
	srv.ConnState = e.conns.connState
}
