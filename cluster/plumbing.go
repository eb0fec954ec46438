package cluster

import (
	"context"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"
)

// The Redis plumbing of this package, for the other Redis users of the server
// (the Socket.IO Redis adapter, sockets/redisadapter), so every one survives a
// Redis outage the same way.

// ErrRedisDown is returned without calling Redis while a recent failure says
// it is down.
var ErrRedisDown = errRedisDown

// Breaker skips Redis calls for cooldown after one failed, so a dead Redis
// costs each request nothing instead of a timeout.
type Breaker struct{ b breaker }

// NewBreaker is a closed breaker that opens for cooldown after a failure.
func NewBreaker(cooldown time.Duration) *Breaker { return &Breaker{b: breaker{cooldown: cooldown}} }

// Allow reports whether a Redis call may be made.
func (b *Breaker) Allow() bool { return b.b.allow() }

// Record notes a call's outcome; it reports whether the state changed (down to
// up or up to down), so the caller logs transitions, not every failure.
func (b *Breaker) Record(err error) (changed bool) { return b.b.record(err) }

// ReceiveLoop hands every pub/sub message of ps to handle until ctx ends,
// across Redis restarts (reconnecting with backoff), pinging a quiet channel.
func ReceiveLoop(ctx context.Context, ps *redis.PubSub, log *slog.Logger, name string, handle func(*redis.Message)) {
	receiveLoop(ctx, ps, log, name, handle)
}
