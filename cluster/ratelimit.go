package cluster

import (
	"context"
	"log/slog"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"

	"github.com/izpochat/server/chat"
)

// RateLimiterOptions tunes the shared limiter; zero values take the defaults.
type RateLimiterOptions struct {
	KeyPrefix string        // default "izpochat:"; redis_rate adds "rate:"
	Timeout   time.Duration // longest one check waits on Redis; default 250ms
	Logger    *slog.Logger
}

// RateLimiter is a chat.Limiter shared by every instance: redis_rate's GCRA in
// Redis, so a client spreading requests over instances gets no more than from
// one. While Redis fails, limits are kept by fallback (in-process, per
// instance) rather than lifted: a Redis outage must not open the door to a
// password-guessing or flooding client. The change either way is logged once.
type RateLimiter struct {
	redis    *redis_rate.Limiter
	fallback chat.Limiter
	prefix   string
	timeout  time.Duration
	log      *slog.Logger
	health   breaker
}

var _ chat.Limiter = (*RateLimiter)(nil)

// NewRateLimiter builds the shared limiter over rdb, falling back to fallback.
func NewRateLimiter(rdb redis.UniversalClient, fallback chat.Limiter, opts RateLimiterOptions) *RateLimiter {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	return &RateLimiter{
		redis:    redis_rate.NewLimiter(rdb),
		fallback: fallback,
		prefix:   orDefault(opts.KeyPrefix, "izpochat:"),
		timeout:  orDefault(opts.Timeout, 250*time.Millisecond),
		log:      log.With("component", "cluster.ratelimit"),
		health:   breaker{cooldown: time.Second},
	}
}

// Allow implements chat.Limiter.
func (l *RateLimiter) Allow(ctx context.Context, key string, rule chat.Rule) chat.Decision {
	if rule.Off() {
		return chat.Decision{Allowed: true}
	}
	if !l.health.allow() {
		return l.fallback.Allow(ctx, key, rule)
	}
	// Not the caller's context: a client going away must not look like Redis failing.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), l.timeout)
	defer cancel()
	res, err := l.redis.Allow(ctx, l.prefix+key, redis_rate.Limit{Rate: rule.Burst, Burst: rule.Burst, Period: rule.Per})
	if l.health.record(err) {
		if err != nil {
			l.log.Warn("redis rate limits failing; limiting on this instance only until it is back", "err", err)
		} else {
			l.log.Info("redis rate limits back; limits are shared by every instance again")
		}
	}
	if err != nil {
		return l.fallback.Allow(ctx, key, rule)
	}
	if res.Allowed > 0 {
		return chat.Decision{Allowed: true}
	}
	return chat.Decision{RetryAfter: res.RetryAfter}
}
