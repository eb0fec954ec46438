package cluster

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"time"

	"github.com/redis/go-redis/v9"
)

// subscriberHealthInterval is how long the receive loop waits for traffic before
// it pings Redis, so a silently dead connection is noticed.
const subscriberHealthInterval = 15 * time.Second

// receiveLoop hands every pub/sub message of ps to handle until ctx ends. It
// survives Redis restarts: go-redis reconnects and resubscribes the PubSub on the
// next call, and we wait with backoff between failed attempts.
func receiveLoop(ctx context.Context, ps *redis.PubSub, log *slog.Logger, name string, handle func(*redis.Message)) {
	wait := newBackoff(100*time.Millisecond, 5*time.Second)
	down := false
	for ctx.Err() == nil {
		msg, err := ps.ReceiveTimeout(ctx, subscriberHealthInterval)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			var netErr net.Error
			if errors.As(err, &netErr) && netErr.Timeout() {
				// Quiet channel: ping; a dead connection fails the next receive.
				if perr := ps.Ping(ctx); perr == nil {
					continue
				}
			}
			if errors.Is(err, redis.ErrClosed) {
				return
			}
			if !down {
				log.Warn("redis subscription lost; reconnecting with backoff", "subscriber", name, "err", err)
				down = true
			}
			if wait.wait(ctx) != nil {
				return
			}
			continue
		}
		if down {
			log.Info("redis subscription restored", "subscriber", name)
			down = false
		}
		wait.reset()
		switch m := msg.(type) {
		case *redis.Message:
			handle(m)
		case *redis.Subscription, *redis.Pong:
		}
	}
}
