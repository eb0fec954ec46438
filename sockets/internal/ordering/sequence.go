package ordering

import (
	"sync"
	"time"
)

// unclaimedTimeout is how long an event's turn is kept for it before it is
// taken as lost (its packet never reached an event router) and skipped.
const unclaimedTimeout = 2 * time.Second

// maxInFlight bounds a connection's events issued and not yet done. Its
// events run one at a time anyway (in order), so more in flight only wait, each
// on a goroutine of its own (the library starts one per packet) with its stack:
// under a fan-out load beyond what the server sustained, 1,000 connections
// had ~50,000 such goroutines waiting (~200 MiB of stacks, bench/RESULTS.md,
// issue 25). At the bound the connection's reader waits (waitForRoom): its
// client's packets stay in the socket's buffers, TCP pushes back, and nothing
// is dropped.
const maxInFlight = 2

// eventSequence is one connection's incoming events in arrival order. Each
// event holds a ticket; a ticket's turn comes when every earlier ticket is done.
//
// An idle connection's sequence holds no ticket and no channel: pending is
// emptied as tickets finish, and closed is made only for an event that waits.
type eventSequence struct {
	mu      sync.Mutex
	next    uint64        // number of the next ticket issued
	head    uint64        // lowest ticket not done
	pending []*Ticket     // tickets head, head+1, ... not yet finished in turn
	closed  chan struct{} // made by closedChan; closed with the connection
	isDone  bool
	// room is made by a reader waiting for room (waitForRoom) and closed
	// once fewer than maxInFlight events are pending.
	room chan struct{}
	// maxWait bounds how long an event waits behind earlier ones that are
	// still running: past it, order gives way to progress (Parser.MaxWait).
	maxWait time.Duration
}

// Ticket is one event's place in its connection's sequence.
type Ticket struct {
	seq     *eventSequence
	n       uint64
	issued  time.Time
	turn    chan struct{} // closed when the ticket reaches the head
	claimed bool          // an event router picked the event up
	done    bool
}

func newEventSequence(maxWait time.Duration) *eventSequence { return &eventSequence{maxWait: maxWait} }

// closedChan returns a channel closed with the connection.
func (q *eventSequence) closedChan() <-chan struct{} {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed == nil {
		q.closed = make(chan struct{})
		if q.isDone {
			close(q.closed)
		}
	}
	return q.closed
}

// issue hands out the next ticket.
func (q *eventSequence) issue() *Ticket {
	q.mu.Lock()
	defer q.mu.Unlock()
	t := &Ticket{seq: q, n: q.next, issued: time.Now(), turn: make(chan struct{})}
	if t.n == q.head {
		close(t.turn)
	}
	if !q.isDone {
		q.pending = append(q.pending, t)
	}
	q.next++
	return t
}

// issueWhenRoom is issue once fewer than maxInFlight of the connection's
// events are pending (waitForRoom).
func (q *eventSequence) issueWhenRoom() *Ticket {
	q.waitForRoom()
	return q.issue()
}

// waitForRoom blocks while maxInFlight of the connection's events are issued
// and not yet done, until one is, the connection closes, or maxWait passes
// (as an event's wait for its turn gives way to progress); a pending head
// that no router claimed is skipped after unclaimedTimeout, as in Wait. Only
// the connection's own reader calls it (one message at a time), so it holds
// back that client alone.
func (q *eventSequence) waitForRoom() {
	q.mu.Lock()
	if q.isDone || len(q.pending) < maxInFlight {
		q.mu.Unlock()
		return
	}
	if q.room == nil {
		q.room = make(chan struct{})
	}
	room := q.room
	q.mu.Unlock()
	closed := q.closedChan()
	deadline := time.NewTimer(q.maxWait)
	defer deadline.Stop()
	for {
		check := time.NewTimer(unclaimedTimeout)
		select {
		case <-room:
		case <-closed:
		case <-deadline.C:
		case <-check.C:
			q.skipLostHead()
			continue
		}
		check.Stop()
		return
	}
}

// roomMade wakes a reader waiting for room once there is. Callers hold q.mu.
func (q *eventSequence) roomMade() {
	if q.room != nil && len(q.pending) < maxInFlight {
		close(q.room)
		q.room = nil
	}
}

// close releases every waiting event: the connection is gone.
func (q *eventSequence) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.isDone {
		return
	}
	q.isDone = true
	if q.closed != nil {
		close(q.closed)
	}
	q.pending = nil
	q.roomMade()
}

// headTicket is the lowest ticket not done, if it is still kept.
func (q *eventSequence) headTicket() (*Ticket, bool) {
	if len(q.pending) == 0 {
		return nil, false
	}
	return q.pending[0], true
}

// finish marks ticket n done and hands the turn on. Callers hold q.mu.
func (q *eventSequence) finish(t *Ticket) {
	if t.done {
		return
	}
	t.done = true
	for {
		h, ok := q.headTicket()
		if !ok || !h.done {
			if ok {
				closeOnce(h.turn)
			}
			q.roomMade()
			return
		}
		q.pending[0] = nil
		q.pending = q.pending[1:]
		if len(q.pending) == 0 {
			q.pending = nil // an idle connection keeps no array
		}
		q.head++
	}
}

func closeOnce(ch chan struct{}) {
	select {
	case <-ch:
	default:
		close(ch)
	}
}

// Claim records that an event router has the ticket's event.
func (t *Ticket) Claim() {
	t.seq.mu.Lock()
	t.claimed = true
	t.seq.mu.Unlock()
}

// Release marks the ticket's event handled (or dropped): later events may run.
func (t *Ticket) Release() {
	t.seq.mu.Lock()
	defer t.seq.mu.Unlock()
	t.seq.finish(t)
}

// Wait blocks until every earlier event of the connection is done, the
// connection closes, or the sequence's maxWait passes. An earlier event that no router
// claimed within unclaimedTimeout is skipped.
func (t *Ticket) Wait() {
	select {
	case <-t.turn: // the usual case: nothing earlier is still running
		return
	default:
	}
	closed := t.seq.closedChan()
	deadline := time.NewTimer(t.seq.maxWait)
	defer deadline.Stop()
	for {
		check := time.NewTimer(unclaimedTimeout)
		select {
		case <-t.turn:
			check.Stop()
			return
		case <-closed:
			check.Stop()
			return
		case <-deadline.C:
			check.Stop()
			return
		case <-check.C:
			t.seq.skipLostHead()
		}
	}
}

// skipLostHead drops head tickets whose events never reached a router.
func (q *eventSequence) skipLostHead() {
	q.mu.Lock()
	defer q.mu.Unlock()
	for {
		h, ok := q.headTicket()
		if !ok || h.claimed || time.Since(h.issued) < unclaimedTimeout {
			return
		}
		q.finish(h)
	}
}
