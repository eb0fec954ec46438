package wstransport

import (
	"sync"
	"sync/atomic"
	"time"
)

// flusher writes the queued frames of many connections from one goroutine, in
// rounds: a round takes every connection that has something queued and gives
// each one non-blocking write of everything it holds. Compared with a writer
// goroutine per connection this costs no goroutine start, park or timer per
// delivery, and it batches by itself: what arrives while a round runs waits
// for the next one, so the busier the server, the more frames share a write.
//
// After a round the flusher pauses in proportion to the round's length
// (pauseFactor, at most maxPause): a loaded server writes each connection less
// often but with more frames per write system call (on loopback most of a small
// write's cost is waking the reader), while a quiet one writes at once (a
// round of a few writes lasts microseconds, and so does its pause).
//
// A connection with nothing being written is mostly not handed to the flusher
// at all: its sender writes it at once, within a budget (write_inline.go), so
// rounds and their pauses are for the load beyond that budget.
//
// The goroutine exists only while there is something to write. A connection
// whose socket cannot take everything at once leaves the flusher for a writer
// goroutine of its own (transport.slowWrite) until its queue is empty, so a
// slow client never holds up the others.
type flusher struct {
	mu      sync.Mutex
	ready   []*transport // connections waiting for the next round
	spare   []*transport
	running bool

	// hurry ends a pause early (see urge).
	hurry chan struct{}

	// inline is what senders wrote themselves (write_inline.go).
	inline inlineBudget

	// Used by the loop goroutine only (one at a time: running).
	buf   []byte         // frames of the connection being written
	batch []queuedPacket // packets of the connection being written
	pause *time.Timer
}

const (
	// pauseFactor: the pause after a round, relative to the round's length.
	// With 1, writing takes at most about half of the time while the rounds
	// are long.
	pauseFactor = 1
	// maxPause bounds the delay the pause adds to a delivery under load.
	maxPause = 15 * time.Millisecond
	// minPause: shorter pauses are skipped (a timer costs more than it saves).
	minPause = 50 * time.Microsecond
	// maxPooledBatch keeps a batch array grown by a burst from being kept.
	maxPooledBatch = 1024
)

// schedule adds t to the next round. The caller has moved t to stateScheduled,
// so t is on at most one list at a time.
func (f *flusher) schedule(t *transport) {
	f.mu.Lock()
	f.ready = append(f.ready, t)
	start := !f.running
	f.running = true
	f.mu.Unlock()
	if start {
		go f.loop()
	}
}

func (f *flusher) loop() {
	for {
		f.mu.Lock()
		round := f.ready
		if len(round) == 0 {
			if cap(f.buf) > maxPooledBuffer {
				f.buf = nil
			}
			if cap(f.batch) > maxPooledBatch {
				f.batch = nil
			}
			f.running = false
			f.mu.Unlock()
			return
		}
		f.ready = f.spare[:0]
		f.mu.Unlock()

		began := time.Now()
		for _, t := range round {
			t.writeFast(f)
		}
		clear(round)
		f.spare = round
		if pause := time.Since(began) * pauseFactor; pause >= minPause {
			f.wait(min(pause, maxPause))
		}
	}
}

// wait pauses the loop for d, or until urge is called.
func (f *flusher) wait(d time.Duration) {
	if f.pause == nil {
		f.pause = time.NewTimer(d)
	} else {
		f.pause.Reset(d)
	}
	select {
	case <-f.pause.C:
	case <-f.hurry:
		f.pause.Stop()
	}
}

// urge ends the current pause: a connection's queue is filling up, and
// waiting longer could overflow it although its client reads fine.
func (f *flusher) urge() {
	select {
	case f.hurry <- struct{}{}:
	default:
	}
}

// flushers spreads connections over one flusher per processor, so writing is
// not limited to one core.
type flushers struct {
	shards []*flusher
	next   atomic.Uint32
}

// newFlushers returns n flushers (at least one).
func newFlushers(n int) *flushers {
	fs := &flushers{shards: make([]*flusher, max(n, 1))}
	for i := range fs.shards {
		fs.shards[i] = &flusher{hurry: make(chan struct{}, 1)}
	}
	return fs
}

// pick returns the flusher of a new connection.
func (fs *flushers) pick() *flusher {
	return fs.shards[int(fs.next.Add(1))%len(fs.shards)]
}
