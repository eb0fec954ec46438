package redisadapter

// The Redis helpers these tests share with cluster's (cluster/helpers_test.go);
// what needs no cluster code lives once, in internal/testkit.

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/izpochat/server/cluster"
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
	rdb, err := cluster.NewClient(url, cluster.ClientOptions{DialTimeout: 300 * time.Millisecond, IOTimeout: 500 * time.Millisecond})
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

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// eventually polls cond until it holds or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out after %s waiting for %s", timeout, what)
}

// waitSubscribers waits until n connections subscribe to channel.
func waitSubscribers(t *testing.T, rdb *redis.Client, channel string, n int64) {
	t.Helper()
	eventually(t, 5*time.Second, fmt.Sprintf("%d subscribers on %s", n, channel), func() bool {
		res, err := rdb.PubSubNumSub(context.Background(), channel).Result()
		return err == nil && res[channel] >= n
	})
}
