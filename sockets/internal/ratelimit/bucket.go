// Package ratelimit is the token bucket that bounds one connection's inbound
// events: the Socket.IO decoder charges it before the library starts a
// goroutine for a packet (sockets/internal/ordering), and the raw WebSocket
// door charges it for every frame. It is ours, not a workaround: both doors
// share one rule for a flooding client.
package ratelimit

import (
	"sync"
	"time"
)

// Bucket is a token bucket limiting one connection's inbound events.
type Bucket struct {
	mu     sync.Mutex
	rate   float64 // tokens per second; <= 0 means unlimited
	burst  float64
	tokens float64
	last   time.Time
}

// New is a full bucket of burst tokens refilled at rate per second (<= 0:
// unlimited).
func New(rate float64, burst int) *Bucket {
	if burst < 1 {
		burst = 1
	}
	return &Bucket{rate: rate, burst: float64(burst), tokens: float64(burst), last: time.Now()}
}

// Allow takes one token if there is one.
func (b *Bucket) Allow() bool {
	if b.rate <= 0 {
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	b.tokens += now.Sub(b.last).Seconds() * b.rate
	if b.tokens > b.burst {
		b.tokens = b.burst
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
