package wiring

import (
	"log/slog"

	"github.com/izpochat/server/config"
	"github.com/izpochat/server/edge"
)

// uploadFormOverhead is what an upload body may hold beyond its files: part
// headers, boundaries, room_id and description.
const uploadFormOverhead = 1 << 20

// wireEdge bounds bodies, time and connections in front of every door.
func wireEdge(cfg config.Config, log *slog.Logger) *edge.Edge {
	return edge.New(edge.Options{
		HTTP:           cfg.HTTP,
		MaxPollingBody: cfg.SocketIO.MaxPayload,
		MaxUploadBody:  int64(cfg.MaxFiles)*cfg.MaxFileBytes + uploadFormOverhead,
		// A polling GET is answered at the latest with the next ping.
		LongPollWait: cfg.SocketIO.PingInterval + cfg.SocketIO.PingTimeout,
		Logger:       log,
	})
}
