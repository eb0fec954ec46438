package chat

import (
	"container/list"
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// DefaultLimiterKeys bounds the keys a LocalLimiter remembers.
const DefaultLimiterKeys = 100_000

// LocalLimiter is the in-process Limiter: one x/time/rate token bucket per key,
// at most maxKeys of them. Keys come from clients (IPs, account names), so the
// map is an LRU: a client inventing keys pushes out the least recently used
// ones, which costs it nothing it could not get by waiting, and never grows the
// heap. A bucket that is full again is as good as none and is dropped first.
type LocalLimiter struct {
	mu      sync.Mutex
	maxKeys int
	keys    map[string]*list.Element
	order   *list.List // of *localBucket, most recently used first
	now     func() time.Time
}

type localBucket struct {
	key   string
	rule  Rule
	limit *rate.Limiter
}

// NewLocalLimiter builds an in-process limiter remembering at most maxKeys keys
// (<= 0: DefaultLimiterKeys).
func NewLocalLimiter(maxKeys int) *LocalLimiter {
	if maxKeys <= 0 {
		maxKeys = DefaultLimiterKeys
	}
	return &LocalLimiter{maxKeys: maxKeys, keys: make(map[string]*list.Element), order: list.New(), now: time.Now}
}

// Allow implements Limiter.
func (l *LocalLimiter) Allow(_ context.Context, key string, rule Rule) Decision {
	if rule.Off() {
		return Decision{Allowed: true}
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.bucket(key, rule, now)
	r := b.limit.ReserveN(now, 1)
	if delay := r.DelayFrom(now); delay > 0 {
		r.CancelAt(now) // refused: the token stays for later
		return Decision{RetryAfter: delay}
	}
	return Decision{Allowed: true}
}

// Len is how many keys the limiter remembers.
func (l *LocalLimiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.keys)
}

// bucket finds or makes key's bucket and marks it most recently used. Callers hold l.mu.
func (l *LocalLimiter) bucket(key string, rule Rule, now time.Time) *localBucket {
	if e, ok := l.keys[key]; ok {
		b := e.Value.(*localBucket)
		if b.rule != rule { // the same key under another rule: start afresh
			b.rule, b.limit = rule, newRateLimiter(rule)
		}
		l.order.MoveToFront(e)
		return b
	}
	for len(l.keys) >= l.maxKeys {
		l.evict(now)
	}
	b := &localBucket{key: key, rule: rule, limit: newRateLimiter(rule)}
	l.keys[key] = l.order.PushFront(b)
	return b
}

// evict drops the least recently used bucket; before that, any of the few
// oldest that are full again (they remember nothing a new bucket would not).
func (l *LocalLimiter) evict(now time.Time) {
	const scan = 8
	e := l.order.Back()
	for i := 0; i < scan && e != nil; i++ {
		prev := e.Prev()
		if b := e.Value.(*localBucket); b.limit.TokensAt(now) >= float64(b.rule.Burst) {
			l.remove(e)
		}
		e = prev
	}
	if len(l.keys) >= l.maxKeys {
		l.remove(l.order.Back())
	}
}

func (l *LocalLimiter) remove(e *list.Element) {
	delete(l.keys, e.Value.(*localBucket).key)
	l.order.Remove(e)
}

func newRateLimiter(r Rule) *rate.Limiter {
	return rate.NewLimiter(rate.Every(r.Interval()), r.Burst)
}
