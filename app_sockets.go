package main

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/izpochat/server/chat"
	"github.com/izpochat/server/config"
)

// socketsPart is the real-time doors: Socket.IO and the raw WebSocket.
type socketsPart struct {
	part
	socketIO http.Handler
	rawWS    http.Handler
}

func wireSockets(ctx context.Context, cfg config.Config, log *slog.Logger, service *chat.Service) (socketsPart, error) {
	return socketsPart{}, nil
}
