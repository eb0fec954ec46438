package chat

import (
	"context"
	"fmt"
	"runtime"
	"runtime/metrics"
	"testing"
	"time"
)

func TestLocalLimiterSpendsAndRefills(t *testing.T) {
	now := time.Unix(1000, 0)
	l := NewLocalLimiter(10)
	l.now = func() time.Time { return now }
	rule := Rule{Burst: 3, Per: 3 * time.Second} // 3 at once, then one a second
	for i := 0; i < 3; i++ {
		if d := l.Allow(context.Background(), "k", rule); !d.Allowed {
			t.Fatalf("event %d refused inside the burst", i+1)
		}
	}
	d := l.Allow(context.Background(), "k", rule)
	if d.Allowed || d.RetryAfter <= 0 || d.RetryAfter > time.Second {
		t.Fatalf("fourth event: %+v, want refused with a retry within 1s", d)
	}
	// Refusals do not dig the hole deeper.
	for i := 0; i < 100; i++ {
		l.Allow(context.Background(), "k", rule)
	}
	now = now.Add(time.Second)
	if d := l.Allow(context.Background(), "k", rule); !d.Allowed {
		t.Fatalf("after the refill interval: %+v", d)
	}
	if d := l.Allow(context.Background(), "other", rule); !d.Allowed {
		t.Fatal("another key shares the budget")
	}
}

// A client inventing keys (a new address or account name per request) cannot
// grow the limiter: it keeps at most its bound, in keys and in heap, while a key
// in use keeps its count.
func TestLocalLimiterStaysBoundedUnderManyKeys(t *testing.T) {
	const maxKeys = 2_000
	l := NewLocalLimiter(maxKeys)
	rule := Rule{Burst: 5, Per: time.Hour}
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		l.Allow(ctx, "victim", rule)
	}
	before := heapBytes()
	for i := 0; i < 60_000; i++ {
		l.Allow(ctx, fmt.Sprintf("login:ip:10.%d.%d.%d", i>>16&255, i>>8&255, i&255), rule)
		if i%500 == 0 {
			// the key under attack stays in use
			if d := l.Allow(ctx, "victim", rule); d.Allowed {
				t.Fatalf("after %d invented keys the spent key was allowed again", i)
			}
		}
	}
	if n := l.Len(); n > maxKeys {
		t.Fatalf("%d keys remembered, bound %d", n, maxKeys)
	}
	// 60,000 buckets would be ~15 MiB; the bound keeps 2,000 (~0.5 MiB).
	if grown := heapBytes() - before; grown > 5<<20 {
		t.Fatalf("heap grew %d KiB under 60,000 distinct keys", grown>>10)
	}
	runtime.KeepAlive(l)
}

func heapBytes() int64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64())
}
