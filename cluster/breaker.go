package cluster

import (
	"errors"
	"sync/atomic"
	"time"
)

// errRedisDown is returned without calling Redis while a recent failure says it is down.
var errRedisDown = errors.New("redis unavailable (recent failure; retrying shortly)")

// breaker skips Redis calls for a short while after one failed, so a dead Redis
// costs each request nothing instead of a timeout. The background loops (heartbeat,
// subscriber) keep probing and close it again.
type breaker struct {
	openUntil atomic.Int64 // unix nanos; 0 = closed
	cooldown  time.Duration
}

func (b *breaker) allow() bool {
	until := b.openUntil.Load()
	return until == 0 || time.Now().UnixNano() >= until
}

// record notes the outcome of a call; it returns true when the state changed
// (down->up or up->down) so the caller logs transitions, not every failure.
func (b *breaker) record(err error) (changed bool) {
	if err == nil {
		return b.openUntil.Swap(0) != 0
	}
	return b.openUntil.Swap(time.Now().Add(b.cooldown).UnixNano()) == 0
}
