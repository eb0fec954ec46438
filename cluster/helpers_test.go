package cluster

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/izpochat/server/internal/testkit"
)

const sharedRedisURL = "redis://127.0.0.1:6379/0"

func testLogger(t *testing.T) *slog.Logger { return testkit.Logger(t) }

func uniq(t *testing.T) string { return testkit.UniqueName(t) }

// sharedRedis connects to the Redis every test may use (127.0.0.1:6379).
func sharedRedis(t *testing.T) *redis.Client {
	t.Helper()
	return clientFor(t, sharedRedisURL)
}

func clientFor(t *testing.T, url string) *redis.Client {
	t.Helper()
	rdb, err := NewClient(url, ClientOptions{DialTimeout: 300 * time.Millisecond, IOTimeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	if url == sharedRedisURL {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := rdb.Ping(ctx).Err(); err != nil {
			t.Skipf("Redis at %s not reachable (%v); these tests need a real Redis", url, err)
		}
	}
	return rdb
}

// startPrivateRedis is a redis-server this test owns (testkit.StartRedis), so
// it can be killed and restarted without touching the shared one.
func startPrivateRedis(t *testing.T) *testkit.Redis { return testkit.StartRedis(t) }

func freePort(t *testing.T) int { return testkit.FreePort(t) }

// eventually polls cond until it holds or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	testkit.Eventually(t, timeout, what, cond)
}

// waitSubscribers waits until n connections subscribe to channel.
func waitSubscribers(t *testing.T, rdb *redis.Client, channel string, n int64) {
	t.Helper()
	eventually(t, 5*time.Second, fmt.Sprintf("%d subscribers on %s", n, channel), func() bool {
		res, err := rdb.PubSubNumSub(context.Background(), channel).Result()
		return err == nil && res[channel] >= n
	})
}
