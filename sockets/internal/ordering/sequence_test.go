package ordering

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/zishang520/engine.io/v2/types"
	"github.com/zishang520/socket.io-go-parser/v2/parser"

	"github.com/izpochat/server/config"
)

// testMaxWait bounds an event's wait in these tests as the layer's event
// timeout does in production.
const testMaxWait = 20 * time.Second

// waitsFor reports whether t.Wait() returns within d.
func waitsFor(t *Ticket, d time.Duration) bool {
	done := make(chan struct{})
	go func() { t.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}

func TestTicketTurnComesWhenEveryEarlierTicketIsDone(t *testing.T) {
	q := newEventSequence(testMaxWait)
	t0, t1, t2 := q.issue(), q.issue(), q.issue()
	for _, tk := range []*Ticket{t0, t1, t2} {
		tk.Claim()
	}
	if !waitsFor(t0, time.Second) {
		t.Fatal("the first ticket waited")
	}
	t1.Release() // finished out of order: t2 still waits for t0
	if waitsFor(t2, 100*time.Millisecond) {
		t.Fatal("ticket 2 ran before ticket 0 was done")
	}
	t0.Release()
	if !waitsFor(t2, time.Second) {
		t.Fatal("ticket 2 still waits after 0 and 1 are done")
	}
	t2.Release()
	// An idle connection keeps no ticket array.
	if q.pending != nil || q.head != 3 {
		t.Fatalf("pending %v (nil: %t), head %d after all done; want nil and 3", q.pending, q.pending == nil, q.head)
	}
}

// Events that never wait cost no channel.
func TestSequenceMakesAChannelOnlyForAWaiter(t *testing.T) {
	q := newEventSequence(testMaxWait)
	for range 3 {
		tk := q.issue()
		tk.Claim()
		tk.Wait()
		tk.Release()
	}
	if q.closed != nil || q.pending != nil {
		t.Fatalf("closed %v, pending %v after events that did not wait", q.closed, q.pending)
	}
	q.close()
	select {
	case <-q.closedChan():
	default:
		t.Fatal("the channel of a closed sequence is open")
	}
}

func TestClosedSequenceLetsWaitersGo(t *testing.T) {
	q := newEventSequence(testMaxWait)
	q.issue().Claim()
	late := q.issue()
	late.Claim()
	done := make(chan struct{})
	go func() { late.Wait(); close(done) }()
	q.close()
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatal("a waiter outlived its connection")
	}
	if after := q.issue(); !waitsFor(after, time.Second) || len(q.pending) != 0 {
		t.Fatal("a ticket issued after close waits or is kept")
	}
}

// An event whose packet never reaches a router (its ticket is never claimed)
// is skipped after unclaimedTimeout; a claimed, still running one is not.
func TestLostTicketIsSkippedButRunningOneIsAwaited(t *testing.T) {
	q := newEventSequence(testMaxWait)
	q.issue() // lost
	running := q.issue()
	running.Claim()
	next := q.issue()
	next.Claim()
	if !waitsFor(running, unclaimedTimeout+time.Second) {
		t.Fatal("the lost ticket was not skipped")
	}
	if waitsFor(next, unclaimedTimeout+500*time.Millisecond) {
		t.Fatal("a claimed ticket that is still running was skipped")
	}
	running.Release()
	if !waitsFor(next, time.Second) {
		t.Fatal("next still waits after the running ticket is done")
	}
}

func TestTakeTicket(t *testing.T) {
	q := newEventSequence(testMaxWait)
	tk := q.issue()
	ack := func([]any, error) {}
	for name, args := range map[string][]any{
		"without ack": {"send_message", map[string]any{"a": 1}, tk},
		"with ack":    {"send_message", map[string]any{"a": 1}, tk, ack},
	} {
		got, refused, rest := Take(args)
		if got != tk || refused || len(rest) != len(args)-1 || rest[0] != "send_message" {
			t.Fatalf("%s: ticket %v, rest %v", name, got, rest)
		}
		for _, a := range rest {
			if _, ok := a.(*Ticket); ok {
				t.Fatalf("%s: ticket left in %v", name, rest)
			}
		}
	}
	// Without a ticket (no ordered decoder), the arguments pass unchanged.
	if got, refused, rest := Take([]any{"typing", map[string]any{}}); got != nil || refused || len(rest) != 2 {
		t.Fatalf("untagged args: ticket %v, rest %v", got, rest)
	}
	if _, refused, rest := Take([]any{"typing", refusedEvent{}, ack}); !refused || len(rest) != 2 {
		t.Fatalf("refused event: %v, rest %v", refused, rest)
	}
	if got, _, rest := Take(nil); got != nil || rest != nil {
		t.Fatalf("no args: ticket %v, rest %v", got, rest)
	}
}

func TestOrderedDecoderTagsEventsOnly(t *testing.T) {
	d := Parser{}.NewDecoder()
	var got []*parser.Packet
	_ = d.On("decoded", func(args ...any) {
		got = append(got, args[0].(*parser.Packet))
		releaseTicket(args[0].(*parser.Packet))
	})
	for _, raw := range []string{`0{"token":"x"}`, `2["a",1]`, `21["b",{"k":"v"}]`, `31[{"ok":true}]`, `2/rooms/5,["c"]`} {
		if err := d.Add(raw); err != nil {
			t.Fatalf("Add(%q): %v", raw, err)
		}
	}
	if err := d.Add(`2[bad json`); err == nil {
		t.Fatal("malformed packet accepted")
	}
	if len(got) != 5 {
		t.Fatalf("%d packets decoded, want 5", len(got))
	}
	var seqs []uint64
	for i, p := range got {
		data, _ := p.Data.([]any)
		var tk *Ticket
		if len(data) > 0 {
			tk, _ = data[len(data)-1].(*Ticket)
		}
		isEvent := p.Type == parser.EVENT
		if isEvent != (tk != nil) {
			t.Fatalf("packet %d (%s): ticket %v", i, p.Type, tk)
		}
		if tk != nil {
			seqs = append(seqs, tk.n)
		}
	}
	if len(seqs) != 3 || seqs[0] != 0 || seqs[1] != 1 || seqs[2] != 2 {
		t.Fatalf("event tickets %v, want 0 1 2 in arrival order", seqs)
	}
	d.Destroy()
	select {
	case <-d.(*orderedDecoder).seq.closedChan():
	default:
		t.Fatal("Destroy left the sequence open")
	}
}

// A connection with maxInFlight events pending gets no further ticket (its
// reader waits, and the library starts no goroutine for the event) until the
// oldest is done; closing the connection lets a waiting reader go.
func TestIssueWaitsWhileMaxInFlightArePending(t *testing.T) {
	q := newEventSequence(testMaxWait)
	var held []*Ticket
	for range maxInFlight {
		tk := q.issueWhenRoom() // below the bound: at once
		tk.Claim()
		held = append(held, tk)
	}
	got := make(chan *Ticket, 1)
	go func() { got <- q.issueWhenRoom() }()
	select {
	case <-got:
		t.Fatalf("ticket %d issued with %d pending", maxInFlight+1, maxInFlight)
	case <-time.After(100 * time.Millisecond):
	}
	held[1].Release() // done, but not the head: still maxInFlight pending
	select {
	case <-got:
		t.Fatal("issued while the head was still running")
	case <-time.After(50 * time.Millisecond):
	}
	held[0].Release() // the head and the next are done: room for two
	select {
	case tk := <-got:
		if tk.n != maxInFlight {
			t.Fatalf("ticket %d, want %d", tk.n, maxInFlight)
		}
	case <-time.After(time.Second):
		t.Fatal("no ticket once the oldest events were done")
	}
	q.issue() // the bound again
	go func() { got <- q.issueWhenRoom() }()
	time.Sleep(50 * time.Millisecond)
	q.close()
	select {
	case <-got:
	case <-time.After(time.Second):
		t.Fatal("a reader waiting for room was not let go when the connection closed")
	}
}

// Events decoded while maxInFlight of the connection's are pending are held
// (no ticket, nothing handed to the library, the reader not held back) and
// handed over in arrival order as earlier ones finish; past maxHeld held the
// reader waits, until the connection closes at the latest.
func TestEventsBeyondMaxInFlightAreHeldThenHandedOver(t *testing.T) {
	d := newOrderedDecoder(parser.NewDecoder(), config.RateLimit{}, testMaxWait)
	var mu sync.Mutex
	var got []*Ticket
	var names []string
	_ = d.On("decoded", func(args ...any) {
		p := args[0].(*parser.Packet)
		data := p.Data.([]any)
		mu.Lock()
		defer mu.Unlock()
		got = append(got, data[len(data)-1].(*Ticket))
		names = append(names, data[0].(string))
	})
	emitted := func() int { mu.Lock(); defer mu.Unlock(); return len(got) }
	const n = 10
	for i := range n {
		if err := d.Add(types.NewStringBufferString(fmt.Sprintf(`2["e%d"]`, i))); err != nil {
			t.Fatal(err)
		}
	}
	if k := emitted(); k != maxInFlight {
		t.Fatalf("%d of %d events handed to the library with none done, want %d", k, n, maxInFlight)
	}
	for i := 0; i < n; i++ {
		mu.Lock()
		tk := got[i]
		mu.Unlock()
		tk.Release()
	}
	mu.Lock()
	for i, name := range names {
		if name != fmt.Sprintf("e%d", i) || got[i].n != uint64(i) {
			t.Fatalf("event %d handed over as %s with ticket %d: out of order", i, name, got[i].n)
		}
	}
	mu.Unlock()
	if k := emitted(); k != n {
		t.Fatalf("%d of %d events handed over once all were done", k, n)
	}

	// maxInFlight pending (the last two, not released) and maxHeld held: the
	// next Add waits, and the connection's close lets it go.
	for i := range maxInFlight + maxHeld {
		_ = d.Add(types.NewStringBufferString(fmt.Sprintf(`2["f%d"]`, i)))
	}
	added := make(chan struct{})
	go func() { _ = d.Add(types.NewStringBufferString(`2["over"]`)); close(added) }()
	select {
	case <-added:
		t.Fatal("Add returned with maxHeld events held")
	case <-time.After(100 * time.Millisecond):
	}
	d.Destroy()
	select {
	case <-added:
	case <-time.After(time.Second):
		t.Fatal("a reader waiting for room was not let go when the connection closed")
	}
}
