package wiring

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/izpochat/server/chat"
	"github.com/izpochat/server/config"
	"github.com/izpochat/server/metrics"
	"github.com/izpochat/server/sockets"
)

// socketsPart is the real-time doors: Socket.IO and the raw WebSocket.
type socketsPart struct {
	part
	srv *sockets.Server
}

func wireSockets(ctx context.Context, cfg config.Config, log *slog.Logger, service *chat.Service, cl clusterPart, rec metrics.Recorder, adjust func(*sockets.Options)) (socketsPart, error) {
	opts := sockets.Options{
		Service:        service,
		Logger:         log,
		AllowedOrigins: cfg.AllowedOrigins,
		SocketIO:       cfg.SocketIO,
		RateLimit:      cfg.RateLimit,
		Metrics:        rec,
	}
	// Typed nil pointers must not become non-nil interfaces.
	if cl.socketIOAdapter != nil {
		opts.ClusterAdapter = cl.socketIOAdapter
	}
	if cl.sessions != nil {
		opts.Sessions = cl.sessions
	}
	if adjust != nil {
		adjust(&opts)
	}
	srv, err := sockets.New(ctx, opts)
	if err != nil {
		return socketsPart{}, fmt.Errorf("build real-time doors: %w", err)
	}
	return socketsPart{
		part: part{
			// Live clients are told to reconnect (to another instance) on shutdown.
			drain: srv.Drain,
			close: srv.Close,
		},
		srv: srv,
	}, nil
}
