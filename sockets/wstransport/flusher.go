package wstransport

import (
	"runtime"
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
// After a long round that coalesced the flusher pauses in proportion to the
// round's length (pauseAfter): a loaded server writes each connection less
// often but with more frames per write system call (on loopback most of a
// small write's cost is waking the reader), while a quiet one writes at once.
//
// Before a round the flusher yields the processor for as long as yielding
// brings more connections to write (at most maxGather): what every runnable
// goroutine is about to queue then shares the round. An idle server's single
// yield returns at once; a busy one's rounds carry more frames per write.
//
// A connection with nothing being written is mostly not handed to the flusher
// at all while the flusher is idle: its sender writes it at once, within a
// budget (write_inline.go). Once rounds run, senders leave writing to them,
// so a loaded server coalesces instead of writing each delivery on its own.
//
// The goroutine exists only while there is something to write. A connection
// whose socket cannot take everything at once leaves the flusher for a writer
// goroutine of its own (transport.slowWrite) until its queue is empty, so a
// slow client never holds up the others.
type flusher struct {
	mu    sync.Mutex
	ready []*transport // connections waiting for the next round
	spare []*transport
	// running: the loop goroutine exists. Changed under mu; senders read it
	// without, to decide whether to write inline.
	running atomic.Bool

	// hurry ends a pause early (see urge).
	hurry chan struct{}
	// rounds counts the rounds written, for tests.
	rounds atomic.Int64
	// yield lets other goroutines run while a round gathers (runtime.Gosched;
	// tests replace it), for at most gatherFor.
	yield     func()
	gatherFor time.Duration

	// inline is what senders wrote themselves (write_inline.go).
	inline inlineBudget

	// Used by the loop goroutine only (one at a time: running).
	buf   []byte         // frames of the connection being written
	batch []queuedPacket // packets of the connection being written
	pause *time.Timer
	// frames and writes of the current round (writeFast counts them).
	frames, writes int
}

const (
	// pauseFactor: the pause after a round, relative to the round's length.
	// With 1, writing takes at most about half of the time while the rounds
	// are long.
	pauseFactor = 1
	// maxPause bounds the delay the pause adds to a delivery under load.
	maxPause = 15 * time.Millisecond
	// minPause: rounds shorter than this are not followed by a pause. A round
	// of a moderately loaded server (tens of connections) lasts well under a
	// millisecond; pausing after it saved little CPU but delayed deliveries
	// (at 30-60 messages/s per room: p50 2.4 ms against 0.8, p99 at 60 18-23 ms
	// against 8-9) while the fan-out capacity stayed the same (bench/RESULTS.md).
	minPause = time.Millisecond
	// fullPauseAt: frames per write from which a long round is followed by the
	// full pause. A round whose connections held one frame each would gain
	// little from waiting: at 70-80 messages/s per room (each connection gets a
	// frame every 12-14 ms) pausing kept p50 at 8-16 ms for 0.9-1.1 writes per
	// delivery instead of 1.3; scaled by the coalescing it was 1.0-2.1 ms (p99
	// 12-23 against 17-35 ms), with the same capacity (bench/RESULTS.md).
	fullPauseAt = 1.5
	// minWait: shorter pauses are skipped (a timer costs more than it saves).
	minWait = 50 * time.Microsecond
	// maxGather bounds how long a round waits for runnable goroutines to queue
	// more (see gather).
	maxGather = 2 * time.Millisecond
	// maxPooledBatch keeps a batch array grown by a burst from being kept.
	maxPooledBatch = 1024
)

// schedule adds t to the next round. The caller has moved t to stateScheduled,
// so t is on at most one list at a time.
func (f *flusher) schedule(t *transport) {
	f.mu.Lock()
	f.ready = append(f.ready, t)
	start := !f.running.Load()
	f.running.Store(true)
	f.mu.Unlock()
	if start {
		go f.loop()
	}
}

func (f *flusher) loop() {
	for {
		f.gather()
		f.mu.Lock()
		round := f.ready
		if len(round) == 0 {
			if cap(f.buf) > maxPooledBuffer {
				f.buf = nil
			}
			if cap(f.batch) > maxPooledBatch {
				f.batch = nil
			}
			f.running.Store(false)
			f.mu.Unlock()
			return
		}
		f.ready = f.spare[:0]
		f.mu.Unlock()
		f.rounds.Add(1)

		began := time.Now()
		f.frames, f.writes = 0, 0
		for _, t := range round {
			t.writeFast(f)
		}
		clear(round)
		f.spare = round
		if pause := pauseAfter(time.Since(began), f.frames, f.writes); pause > 0 {
			f.wait(pause)
		}
	}
}

// pauseAfter is the pause after a round that lasted round and wrote frames in
// writes: none after a short one or one that did not coalesce, the round's
// length times pauseFactor after a long one with fullPauseAt frames per write,
// in proportion between the two, at most maxPause.
func pauseAfter(round time.Duration, frames, writes int) time.Duration {
	if round < minPause || writes == 0 {
		return 0
	}
	perWrite := float64(frames) / float64(writes)
	share := min(max((perWrite-1)/(fullPauseAt-1), 0), 1)
	pause := min(time.Duration(float64(round*pauseFactor)*share), maxPause)
	if pause < minWait {
		return 0
	}
	return pause
}

// gather yields the processor while that brings more connections into the
// next round, for at most gatherFor. On one core (the benchmark pins the
// server to one) every goroutine that is runnable now runs before a yield
// returns: the deliveries it is about to queue join this round instead of
// waking the flusher once more.
func (f *flusher) gather() {
	start := time.Now()
	waiting := f.waiting()
	for time.Since(start) < f.gatherFor {
		f.yield()
		now := f.waiting()
		if now == waiting {
			return
		}
		waiting = now
	}
}

// waiting is how many connections wait for the next round.
func (f *flusher) waiting() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.ready)
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
		fs.shards[i] = &flusher{hurry: make(chan struct{}, 1), yield: runtime.Gosched, gatherFor: maxGather}
	}
	return fs
}

// pick returns the flusher of a new connection.
func (fs *flushers) pick() *flusher {
	return fs.shards[int(fs.next.Add(1))%len(fs.shards)]
}
