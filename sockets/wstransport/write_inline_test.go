package wstransport

import (
	"fmt"
	"testing"
	"time"

	"github.com/zishang520/socket.io/v2/socket"
)

// spendInlineBudget makes f's senders leave all writing to its rounds for the
// next hour.
func spendInlineBudget(f *flusher) {
	f.inline.mu.Lock()
	f.inline.start, f.inline.spent = time.Now().Add(time.Hour), time.Hour
	f.inline.mu.Unlock()
}

// refreshInlineBudget starts f's senders on a fresh window: on a loaded
// machine (-race, parallel packages) a few writes can outlast a budget.
func refreshInlineBudget(f *flusher) {
	f.inline.mu.Lock()
	f.inline.start, f.inline.spent = time.Time{}, 0
	f.inline.mu.Unlock()
}

// stallFlusher waits for f's current rounds to end, then marks it running with
// no loop: rounds are "running" but none comes.
func stallFlusher(t *testing.T, f *flusher) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		f.mu.Lock()
		stopped := !f.running.Load()
		if stopped {
			f.running.Store(true)
		}
		f.mu.Unlock()
		if stopped {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the flusher's rounds never ended")
		}
		time.Sleep(time.Millisecond)
	}
}

// oneFlusherConnection connects one reading client through a transport with
// a single flusher shard and queues of queueSize packets.
func oneFlusherConnection(t *testing.T, queueSize int) (*flusher, *socket.Socket, *rawClient) {
	t.Helper()
	b := NewBuilder(Options{QueueSize: queueSize})
	b.flushers = newFlushers(1)
	useTransport(t, b)
	sockets := make(chan *socket.Socket, 1)
	srv := startServer(t, nil, func(s *socket.Socket) { sockets <- s })
	c, _ := connectV4(t, srv, 0)
	s := <-sockets
	c.startReading()
	return b.flushers.shards[0], s, c
}

// A connection with nothing being written, on an idle flusher, is written by
// its sender at once: no flusher round runs.
func TestSenderWritesAnIdleConnectionItself(t *testing.T) {
	f, s, c := oneFlusherConnection(t, 16)
	waitFlusherIdle(t, f)
	rounds := f.rounds.Load()
	for i := range 3 {
		refreshInlineBudget(f)
		s.Emit("m", fmt.Sprint(i))
		ev, ok := c.nextEvent(t, 2*time.Second)
		if !ok || argString(t, ev, 0) != fmt.Sprint(i) {
			t.Fatalf("message %d: got %v (ok %v)", i, ev, ok)
		}
	}
	if n := f.rounds.Load() - rounds; n != 0 {
		t.Fatalf("%d flusher rounds ran; want every message written by its sender", n)
	}
}

// While the flusher runs rounds, senders queue for them even with budget
// left: a busy server coalesces.
func TestSendersLeaveWritingToARunningFlusher(t *testing.T) {
	f, s, c := oneFlusherConnection(t, 16)
	stallFlusher(t, f)
	refreshInlineBudget(f)
	s.Emit("m", "waits")
	if ev, ok := c.nextEvent(t, 200*time.Millisecond); ok {
		t.Fatalf("written by the sender while the flusher ran: %v", ev)
	}
	if n := f.waiting(); n != 1 {
		t.Fatalf("%d connections wait for the round, want 1", n)
	}
	go f.loop()
	if ev, ok := c.nextEvent(t, 2*time.Second); !ok || argString(t, ev, 0) != "waits" {
		t.Fatalf("after the round: %v (ok %v)", ev, ok)
	}
}

// waitFlusherIdle waits until f has no rounds running (the connection's
// handshake packets may still be in one).
func waitFlusherIdle(t *testing.T, f *flusher) {
	t.Helper()
	waitUntil(t, "the flusher's rounds to end", func() bool { return !f.running.Load() })
}

// Once the senders' inline budget is spent, a connection is written by the
// flusher's round (which can write several frames with one system call), even
// though the flusher was idle.
func TestSendersLeaveWritingToTheFlusherOnceTheirBudgetIsSpent(t *testing.T) {
	f, s, c := oneFlusherConnection(t, 16)
	waitFlusherIdle(t, f)
	spendInlineBudget(f)
	rounds := f.rounds.Load()
	s.Emit("m", "waits")
	if ev, ok := c.nextEvent(t, 2*time.Second); !ok || argString(t, ev, 0) != "waits" {
		t.Fatalf("got %v (ok %v)", ev, ok)
	}
	if f.rounds.Load() == rounds {
		t.Fatal("written by the sender although its budget was spent")
	}
}

func TestInlineBudgetIsAShareOfAWindow(t *testing.T) {
	var b inlineBudget
	t0 := time.Now()
	if !b.allow(t0) {
		t.Fatal("a fresh budget refused")
	}
	b.used(inlineWindow / 4)
	if !b.allow(t0.Add(time.Millisecond)) {
		t.Fatal("refused after a quarter of the window")
	}
	b.used(inlineWindow / 4)
	if b.allow(t0.Add(2 * time.Millisecond)) {
		t.Fatalf("allowed after half of the window, more than its share %v", inlineShare)
	}
	if !b.allow(t0.Add(inlineWindow)) {
		t.Fatal("a new window did not start afresh")
	}
}
