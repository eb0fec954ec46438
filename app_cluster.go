package main

import (
	"context"
	"log/slog"

	"github.com/izpochat/server/chat"
	"github.com/izpochat/server/config"
)

// clusterPart joins this instance to the others when REDIS_URL is set.
type clusterPart struct {
	part
	broker   chat.Broker   // nil: one instance
	presence chat.Presence // nil: in-memory presence
}

func wireCluster(ctx context.Context, cfg config.Config, log *slog.Logger) (clusterPart, error) {
	if cfg.RedisURL == "" {
		return clusterPart{}, nil
	}
	log.Warn("REDIS_URL is set but the cluster door is not built yet; running as a single instance")
	return clusterPart{}, nil
}
