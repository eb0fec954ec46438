package wstransport

import (
	"fmt"
	"sync"
	"time"
)

// A connection that gets something to write while nothing else is writing
// it is written at once by the sending goroutine (writeInline) — unless its
// flusher is running rounds, or the senders of the flusher's shard have spent
// more than inlineShare of the last inlineWindow writing that way. Then it
// waits for the flusher's next round, so a busy server coalesces (several
// frames per write system call) while a quiet one does not add a round and a
// pause to every delivery. Rounds run once a connection could not be written
// inline, and stop when a pause brings nothing new: the busier the server, the
// longer writing stays with them. (With the budget alone, senders at 80
// messages/s per room still wrote most deliveries one by one: inline writing
// took 14% of the time, under the budget. Handing over to running rounds cut
// CPU at 30-60 messages/s per room by 0.05-0.2 and p99 at 40 from 32-88 to
// 28 ms in alternating runs.)
const (
	inlineWindow = 10 * time.Millisecond
	inlineShare  = 0.3
)

// inlineBudget is how much writing the senders of one flusher shard have done
// inline in the current window.
type inlineBudget struct {
	mu    sync.Mutex
	start time.Time
	spent time.Duration
}

// allow reports whether a sender may write inline now.
func (b *inlineBudget) allow(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if now.Sub(b.start) >= inlineWindow {
		b.start, b.spent = now, 0
	}
	return b.spent < time.Duration(inlineShare*float64(inlineWindow))
}

func (b *inlineBudget) used(d time.Duration) {
	b.mu.Lock()
	b.spent += d
	b.mu.Unlock()
}

// writeInline writes t's queue from the sending goroutine: the caller moved t
// from idle to stateScheduled (it owns t as a flusher round would). With wmu
// taken (a control frame is being written) the flusher's next round takes
// over.
func (t *transport) writeInline(began time.Time) {
	defer func() { t.flusher.inline.used(time.Since(began)) }()
	if !t.wmu.TryLock() {
		t.flusher.schedule(t)
		return
	}
	if !t.writeFromSender() {
		return
	}
	t.mu.Lock()
	if len(t.queue) == 0 || t.dead {
		closeNow := t.goIdleLocked()
		t.mu.Unlock()
		if closeNow {
			go t.closeConn()
		}
		return
	}
	t.mu.Unlock()
	t.flusher.schedule(t) // queued while we wrote
}

// writeFromSender writes what is queued from a sending goroutine, without
// blocking; the caller holds wmu, which is released here or passed on to
// slowWrite with a partial write's rest. Senders hold the engine's and the
// adapter's locks, so nothing here calls back into the engine on their
// goroutine: a failure (whose close runs the socket's disconnect handlers)
// and the drains go to goroutines of their own. It reports whether
// everything it took was written.
func (t *transport) writeFromSender() bool {
	batch, closeNow, owned := t.takeQueueAs(stateScheduled, nil)
	if !owned || len(batch) == 0 {
		t.wmu.Unlock()
		if closeNow {
			go t.closeConn()
		}
		return false
	}
	buf := t.buffers.get()
	defer t.buffers.put(buf)
	var drains int
	var err error
	*buf, drains, err = t.appendPackets((*buf)[:0], batch)
	if err != nil {
		t.wmu.Unlock()
		go t.fail(err)
		return false
	}
	n, err := writeNonBlocking(t.raw, *buf)
	switch {
	case err != nil:
		t.wmu.Unlock()
		go t.fail(fmt.Errorf("write websocket frames: %w", err))
		return false
	case n < len(*buf):
		t.toSlowWriter(append([]byte(nil), (*buf)[n:]...), drains, true)
		return false
	}
	t.wmu.Unlock()
	if drains > 0 {
		go t.emitDrains(drains)
	}
	return true
}
