package wiring

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/izpochat/server/chat"
	"github.com/izpochat/server/cluster"
	"github.com/izpochat/server/config"
	"github.com/izpochat/server/handlers"
	"github.com/izpochat/server/sockets/redisadapter"
)

// clusterPart joins this instance to the others when REDIS_URL is set.
type clusterPart struct {
	part
	broker   chat.Broker   // nil: one instance
	presence chat.Presence // nil: in-memory presence
	// socketIOAdapter is the Socket.IO Redis adapter for the sockets door
	// (socket.ServerOptions.SetAdapter); nil: one instance.
	socketIOAdapter *redisadapter.Adapter
	// sessions routes Engine.IO requests to the instance holding their session,
	// so polling works without sticky sessions; nil: one instance.
	sessions *cluster.SessionRoutes
	// rateLimiter shares rate limits between instances; nil: one instance.
	rateLimiter *cluster.RateLimiter
}

func wireCluster(ctx context.Context, cfg config.Config, log *slog.Logger) (clusterPart, error) {
	if cfg.RedisURL == "" {
		return clusterPart{}, nil
	}
	rdb, err := cluster.NewClient(cfg.RedisURL, cluster.ClientOptions{})
	if err != nil {
		return clusterPart{}, fmt.Errorf("cluster: %w", err)
	}
	log = log.With("instance", cfg.InstanceID)
	broker := cluster.NewBroker(rdb, cfg.InstanceID, cluster.BrokerOptions{Logger: log})
	presence := cluster.NewPresence(rdb, cfg.InstanceID, cluster.PresenceOptions{TTL: cfg.PresenceTTL, Logger: log})
	presence.Start(ctx)
	adapter := redisadapter.New(ctx, rdb, redisadapter.Options{Logger: log})
	sessions := cluster.NewSessionRoutes(rdb, cfg.InstanceAddr, cluster.SessionRoutesOptions{TTL: cfg.PresenceTTL, Logger: log})
	sessions.Start(ctx)
	rateLimiter := cluster.NewRateLimiter(rdb, chat.NewLocalLimiter(cfg.Rates.MaxKeys), cluster.RateLimiterOptions{Logger: log})
	log.Info("cluster mode: joined through Redis", "instance_addr", cfg.InstanceAddr)
	return clusterPart{
		part: part{
			// Redis is optional: when it is down each instance serves its own clients.
			checks: []handlers.Check{{Name: "redis", Critical: false, Probe: cluster.Ping(rdb)}},
			close: func() error {
				return errors.Join(sessions.Close(), adapter.Close(), presence.Close(), broker.Close(), rdb.Close())
			},
		},
		broker:          broker,
		presence:        presence,
		socketIOAdapter: adapter,
		sessions:        sessions,
		rateLimiter:     rateLimiter,
	}, nil
}
