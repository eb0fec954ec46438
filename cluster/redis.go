// Package cluster joins several IzpoChat instances through Redis: the chat event
// broker, cluster-wide presence, polling sessions and shared rate limits, and
// the Redis plumbing (client, breaker, receive loop) they share with the
// Socket.IO Redis adapter (sockets/redisadapter).
package cluster

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// ClientOptions bounds how long a Redis call may take, so a dead Redis never
// stalls a request for long.
type ClientOptions struct {
	DialTimeout time.Duration // default 2s
	IOTimeout   time.Duration // read and write; default 2s
}

// NewClient builds a Redis client for url (redis:// or rediss://). It does not
// connect: the first command does, and a Redis that is down at start-up only
// degrades the cluster features.
func NewClient(url string, opts ClientOptions) (*redis.Client, error) {
	o, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("parse redis url: %w", err)
	}
	o.DialTimeout = orDefault(opts.DialTimeout, 2*time.Second)
	o.ReadTimeout = orDefault(opts.IOTimeout, 2*time.Second)
	o.WriteTimeout = o.ReadTimeout
	o.PoolTimeout = o.ReadTimeout
	// One retry: our own callers degrade on failure instead of waiting.
	o.MaxRetries = 1
	// RESP2 like the Node clients; pub/sub messages look the same to everyone.
	o.Protocol = 2
	o.DisableIdentity = true
	return redis.NewClient(o), nil
}

// Ping reports whether Redis answers; it is the /health probe.
func Ping(rdb redis.UniversalClient) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		if err := rdb.Ping(ctx).Err(); err != nil {
			return fmt.Errorf("redis ping: %w", err)
		}
		return nil
	}
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
