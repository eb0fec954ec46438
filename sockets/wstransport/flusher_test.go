package wstransport

import (
	"fmt"
	"testing"
	"time"

	ws "github.com/gorilla/websocket"
	"github.com/zishang520/socket.io/v2/socket"
)

// TestWritesWorkLongAfterAPong: answering a client's ping sets a write
// deadline on the socket; once it has passed, later non-blocking writes from
// the flusher must still go out.
func TestWritesWorkLongAfterAPong(t *testing.T) {
	const writeTimeout = 50 * time.Millisecond
	useTransport(t, NewBuilder(Options{WriteTimeout: writeTimeout}))
	srv := startServer(t, nil, func(s *socket.Socket) {
		s.On("echo", func(args ...any) { s.Emit("m", args...) })
	})
	c, _ := connectV4(t, srv, 0)
	pongs := make(chan struct{}, 1)
	c.conn.SetPongHandler(func(string) error { pongs <- struct{}{}; return nil })
	c.startReading()

	c.writeMu.Lock()
	err := c.conn.WriteControl(ws.PingMessage, []byte("hi"), time.Now().Add(time.Second))
	c.writeMu.Unlock()
	if err != nil {
		t.Fatalf("ping: %v", err)
	}
	select {
	case <-pongs:
	case <-time.After(2 * time.Second):
		t.Fatal("no pong")
	}
	time.Sleep(4 * writeTimeout) // the pong's deadline is long past
	for i := range 3 {
		want := fmt.Sprintf("after-pong-%d", i)
		c.emit(t, "echo", want)
		ev, ok := c.nextEvent(t, 2*time.Second)
		if !ok {
			t.Fatalf("no reply to %s: the connection stopped writing", want)
		}
		if got := argString(t, ev, 0); got != want {
			t.Fatalf("got %s, want %s", got, want)
		}
	}
}

// TestPartialWritesKeepOrder: a client that reads slowly makes the socket take
// only part of a flusher round's write; the rest, and what follows, must
// arrive complete and in order once it reads again.
func TestPartialWritesKeepOrder(t *testing.T) {
	const n = 150
	payload := string(make([]byte, 16<<10)) // 16 KiB of zero bytes, JSON-escaped
	useTransport(t, NewBuilder(Options{}))
	trs := make(chan *transport, 1)
	srv := startServer(t, nil, func(s *socket.Socket) {
		s.On("burst", func(...any) {
			for i := range n {
				s.Emit("m", fmt.Sprintf("%d", i), payload)
			}
			trs <- s.Conn().Transport().(*transport)
		})
	})
	// Default socket buffers: a tiny receive buffer would stall TCP itself
	// (zero-window probes back off for seconds). 150 × ~100 KB still
	// overfills the defaults many times over.
	c, _ := connectV4(t, srv, 0)
	c.emit(t, "burst")
	tr := <-trs
	time.Sleep(100 * time.Millisecond) // let the socket buffers fill up
	tr.mu.Lock()
	state := tr.state
	tr.mu.Unlock()
	if state != stateSlow {
		t.Fatalf("writer state %d with a full socket, want %d (slowWrite)", state, stateSlow)
	}
	c.startReading()
	for i := range n {
		ev, ok := c.nextEvent(t, 5*time.Second)
		if !ok {
			t.Fatalf("stalled after %d of %d messages", i, n)
		}
		if got := argString(t, ev, 0); got != fmt.Sprint(i) {
			t.Fatalf("message %d arrived as %s", i, got)
		}
	}
}

// TestBusyConnectionDoesNotHoldUpTheRound: while one connection's socket is
// held by a control frame being written (wmu taken), a flusher round still
// writes every other connection at once, and the held one gets its packets
// once the control write ends.
func TestBusyConnectionDoesNotHoldUpTheRound(t *testing.T) {
	b := NewBuilder(Options{})
	b.flushers = newFlushers(1) // both connections in the same rounds
	useTransport(t, b)
	type conn struct {
		s  *socket.Socket
		tr *transport
	}
	conns := make(chan conn, 2)
	srv := startServer(t, nil, func(s *socket.Socket) {
		conns <- conn{s, s.Conn().Transport().(*transport)}
	})
	held, _ := connectV4(t, srv, 0)
	other, _ := connectV4(t, srv, 0)
	first, second := <-conns, <-conns
	held.startReading()
	other.startReading()

	first.tr.wmu.Lock() // as writeControl would, writing to a full socket
	first.s.Emit("m", "to-held")
	second.s.Emit("m", "to-other")
	if ev, ok := other.nextEvent(t, 2*time.Second); !ok || argString(t, ev, 0) != "to-other" {
		t.Fatalf("the other connection got %v (ok %v) while the first was held", ev, ok)
	}
	if ev, ok := held.nextEvent(t, 100*time.Millisecond); ok {
		t.Fatalf("the held connection was written while held: %v", ev)
	}
	first.tr.wmu.Unlock()
	if ev, ok := held.nextEvent(t, 2*time.Second); !ok || argString(t, ev, 0) != "to-held" {
		t.Fatalf("after release the held connection got %v (ok %v)", ev, ok)
	}
}

// TestSenderWritesWhenTheFlusherFallsBehind: a flusher that does not get the
// processor (here: marked running, with no loop) must not get a client that
// reads fine dropped for overflow; once a queue is half full the sender writes
// it. Every message arrives, in order, on the same connection.
func TestSenderWritesWhenTheFlusherFallsBehind(t *testing.T) {
	const queueSize, n = 16, 200
	f, s, c := oneFlusherConnection(t, queueSize)

	// Senders may not write inline (their budget is spent for the next hour),
	// and once the rounds that wrote the handshake have ended, the flusher is
	// marked running with no loop: rounds are "running" but none comes.
	spendInlineBudget(f)
	stallFlusher(t, f)
	// Half a queue at a time, each read before the next is sent: only the
	// sender's help can write them (no round comes), and the queue never holds
	// more than half, so a write the kernel defers on a loaded machine cannot
	// turn into an overflow.
	const half = queueSize / 2
	for i := 0; i < n; i += half {
		for j := i; j < i+half; j++ {
			s.Emit("m", fmt.Sprint(j))
		}
		for j := i; j < i+half; j++ {
			ev, ok := c.nextEvent(t, 2*time.Second)
			if !ok {
				t.Fatalf("stalled after %d of %d messages (connected: %v)", j, n, s.Connected())
			}
			if got := argString(t, ev, 0); got != fmt.Sprint(j) {
				t.Fatalf("message %d arrived as %s", j, got)
			}
		}
	}
	if !s.Connected() {
		t.Fatal("the client was dropped although it read everything")
	}
	go f.loop() // let the stalled rounds run so the server closes cleanly
}

// A round waits while yielding brings more connections, and no longer.
func TestRoundGathersWhileYieldingBringsConnections(t *testing.T) {
	f := &flusher{gatherFor: time.Hour}
	f.ready = []*transport{{}}
	yields := 0
	f.yield = func() {
		yields++
		if yields <= 3 {
			f.schedule(&transport{})
		}
	}
	f.running.Store(true) // schedule must not start a loop here
	f.gather()
	if n := f.waiting(); n != 4 || yields != 4 {
		t.Fatalf("gathered %d connections in %d yields; want 4 in 4 (the fourth brought none)", n, yields)
	}
}

// However much yielding brings, a round waits at most gatherFor.
func TestRoundGathersAtMostGatherFor(t *testing.T) {
	f := &flusher{gatherFor: 20 * time.Millisecond}
	f.running.Store(true)
	f.yield = func() {
		f.schedule(&transport{})
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	f.gather()
	if took := time.Since(start); took > time.Second || f.waiting() == 0 {
		t.Fatalf("gather took %v with %d connections", took, f.waiting())
	}
}

// An idle server's round starts after a single yield.
func TestRoundStartsAtOnceWhenNothingElseRuns(t *testing.T) {
	f := &flusher{gatherFor: time.Hour}
	f.running.Store(true)
	f.ready = []*transport{{}}
	yields := 0
	f.yield = func() { yields++ }
	f.gather()
	if yields != 1 {
		t.Fatalf("%d yields, want 1", yields)
	}
}

// A short round (a moderately loaded server's) is written again at once, and
// so is a long one whose connections held one frame each (waiting would not
// coalesce them); a long round that coalesced is followed by a pause as long
// as itself once it wrote fullPauseAt frames per write, within maxPause.
func TestPauseOnlyAfterLongRoundsThatCoalesced(t *testing.T) {
	const ms = time.Millisecond
	cases := []struct {
		round          time.Duration
		frames, writes int
		want           time.Duration
	}{
		{0, 0, 0, 0},
		{300 * time.Microsecond, 600, 200, 0},
		{minPause - 1, 600, 200, 0},
		{4 * ms, 0, 0, 0},
		{4 * ms, 800, 800, 0},                     // one frame a write: no pause
		{4 * ms, 1000, 800, 2 * ms * pauseFactor}, // 1.25 a write: half
		{4 * ms, 1200, 800, 4 * ms * pauseFactor}, // 1.5: the full pause
		{4 * ms, 4000, 800, 4 * ms * pauseFactor},
		{minPause, 3, 1, minPause * pauseFactor},
		{time.Second, 3, 1, maxPause},
		{minPause, 1001, 1000, 0}, // 2 µs: not worth a timer
	}
	for _, c := range cases {
		if got := pauseAfter(c.round, c.frames, c.writes); got != c.want {
			t.Errorf("pauseAfter(%v, %d frames, %d writes) = %v, want %v", c.round, c.frames, c.writes, got, c.want)
		}
	}
}
