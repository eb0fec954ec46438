package cluster

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/izpochat/server/chat"
)

// Two instances' limiters on one Redis share each key's budget: a client
// spreading its attempts over instances gets no more than from one.
func TestRateLimiterIsSharedByInstances(t *testing.T) {
	prefix := uniq(t) + ":"
	a := NewRateLimiter(sharedRedis(t), chat.NewLocalLimiter(0), RateLimiterOptions{KeyPrefix: prefix, Logger: testLogger(t)})
	b := NewRateLimiter(sharedRedis(t), chat.NewLocalLimiter(0), RateLimiterOptions{KeyPrefix: prefix, Logger: testLogger(t)})
	rule := chat.Rule{Burst: 6, Per: time.Hour}
	ctx := context.Background()
	allowed := 0
	for i := 0; i < 10; i++ {
		l := a
		if i%2 == 1 {
			l = b
		}
		if d := l.Allow(ctx, "login:account:x", rule); d.Allowed {
			allowed++
		} else if d.RetryAfter <= 0 || d.RetryAfter > 10*time.Minute {
			t.Fatalf("refused with RetryAfter %v, want about one refill interval (10m)", d.RetryAfter)
		}
	}
	if allowed != 6 {
		t.Fatalf("%d of 10 attempts over two instances allowed, want the shared budget of 6", allowed)
	}
	if d := b.Allow(ctx, "login:account:y", rule); !d.Allowed {
		t.Fatal("another key shares the budget")
	}
}

// With Redis down the limits hold on each instance (the fallback), the change
// is logged once, and Redis takes over again when it is back.
func TestRateLimiterFallsBackToLocalWhileRedisIsDown(t *testing.T) {
	rds := startPrivateRedis(t)
	var logs syncBuffer
	l := NewRateLimiter(clientFor(t, rds.URL()), chat.NewLocalLimiter(0),
		RateLimiterOptions{Timeout: 200 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	rule := chat.Rule{Burst: 3, Per: time.Hour}
	ctx := context.Background()
	if d := l.Allow(ctx, "k", rule); !d.Allowed {
		t.Fatal("first event refused")
	}
	rds.Stop()
	allowed := 0
	for i := 0; i < 10; i++ {
		if l.Allow(ctx, "k", rule).Allowed {
			allowed++
		}
	}
	if allowed != 3 {
		t.Fatalf("Redis down: %d of 10 allowed, want the local budget of 3 (not open, not shut)", allowed)
	}
	if n := strings.Count(logs.String(), "redis rate limits failing"); n != 1 {
		t.Fatalf("outage logged %d times, want once:\n%s", n, logs.String())
	}
	rds.Start()
	eventually(t, 10*time.Second, "Redis counting again", func() bool {
		l.Allow(ctx, "other", rule)
		return strings.Contains(logs.String(), "redis rate limits back")
	})
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
