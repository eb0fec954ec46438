package ordering

import (
	"sync"
	"time"

	"github.com/zishang520/socket.io-go-parser/v2/parser"
)

// unclaimedTimeout is how long an event's turn is kept for it before it is
// taken as lost (its packet never reached an event router) and skipped.
const unclaimedTimeout = 2 * time.Second

// maxInFlight bounds a connection's events handed to the library and not yet
// done. Its events run one at a time anyway (in order), so more in flight only
// wait, each on a goroutine of its own (the library starts one per packet) with
// its stack: under a fan-out load beyond what the server sustained, 1,000
// connections had ~50,000 such goroutines waiting (~200 MiB of stacks,
// bench/RESULTS.md, issue 25). An event decoded beyond it is held (held): its
// text only, no goroutine, no ticket; it gets its ticket and goes to the
// library as earlier ones finish (drain).
const maxInFlight = 2

// maxHeld bounds the events a connection holds; past it the connection's
// reader waits (its client's packets stay in the socket's buffers, TCP pushes
// back, nothing is dropped). Above the default event burst (40), so a burst is
// read, and its events over the budget refused, at once.
const maxHeld = 64

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
	// held is the events waiting for fewer than maxInFlight pending, in
	// arrival order, as their text (a copy; decoded again when handed over:
	// a sixth of the decoded packet's bytes); emit hands one, with its
	// ticket, to the library.
	held [][]byte
	emit func(*parser.Packet)
	// room is made by a reader waiting (waitFor) and closed whenever pending
	// or held shrinks (wake).
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
	return q.issueLocked()
}

// issueLocked is issue with q.mu held.
func (q *eventSequence) issueLocked() *Ticket {
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

// admit hands a decoded event within the budget to the library with the next
// ticket, or holds it while maxInFlight of the connection's events are
// pending or earlier ones are held (tickets go in arrival order). With
// maxHeld held, the reader waits for room (waitFor).
func (q *eventSequence) admit(p *parser.Packet, text []byte) {
	waited := false
	for {
		q.mu.Lock()
		if q.isDone || (len(q.held) == 0 && len(q.pending) < maxInFlight) {
			t := q.issueLocked()
			q.mu.Unlock()
			q.send(p, t)
			return
		}
		if len(q.held) < maxHeld || waited {
			q.held = append(q.held, append([]byte(nil), text...))
			q.mu.Unlock()
			return
		}
		q.mu.Unlock()
		q.waitFor(func() bool { return len(q.held) < maxHeld })
		waited = true // past maxWait, progress over the bound
	}
}

// issueWhenRoom is issue once nothing is held and fewer than maxInFlight
// events are pending: for an event the library's decoder emits itself
// (binary events), which cannot be held.
func (q *eventSequence) issueWhenRoom() *Ticket {
	q.waitFor(func() bool { return len(q.held) == 0 && len(q.pending) < maxInFlight })
	return q.issue()
}

// send tags p with its ticket and hands it to the library.
func (q *eventSequence) send(p *parser.Packet, t *Ticket) {
	p.Data = append(p.Data.([]any), t)
	q.emit(p)
}

// drain hands held events to the library, in order, while fewer than
// maxInFlight are pending. Called without q.mu, after events finished.
func (q *eventSequence) drain() {
	for {
		q.mu.Lock()
		if q.isDone || len(q.held) == 0 || len(q.pending) >= maxInFlight {
			q.mu.Unlock()
			return
		}
		text := q.held[0]
		q.held[0] = nil
		q.held = q.held[1:]
		if len(q.held) == 0 {
			q.held = nil // an idle connection keeps no array
		}
		p, ok := decodeEventText(text) // as it was when read
		if !ok {
			q.wake()
			q.mu.Unlock()
			continue
		}
		t := q.issueLocked()
		q.wake()
		q.mu.Unlock()
		q.send(p, t)
	}
}

// waitFor blocks until ready (checked under q.mu) holds, the connection
// closes, or maxWait passes (as an event's wait for its turn gives way to
// progress); a pending head that no router claimed is skipped after
// unclaimedTimeout, as in Wait. Only the connection's own reader calls it (one
// message at a time), so it holds back that client alone.
func (q *eventSequence) waitFor(ready func() bool) {
	closed := q.closedChan()
	deadline := time.NewTimer(q.maxWait)
	defer deadline.Stop()
	for {
		q.mu.Lock()
		if q.isDone || ready() {
			q.mu.Unlock()
			return
		}
		if q.room == nil {
			q.room = make(chan struct{})
		}
		room := q.room
		q.mu.Unlock()
		check := time.NewTimer(unclaimedTimeout)
		select {
		case <-room:
		case <-closed:
		case <-deadline.C:
			check.Stop()
			return
		case <-check.C:
			q.skipLostHead()
		}
		check.Stop()
	}
}

// wake lets a waiting reader look again. Callers hold q.mu.
func (q *eventSequence) wake() {
	if q.room != nil {
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
	q.held = nil
	q.wake()
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
			q.wake()
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
	t.seq.finish(t)
	t.seq.mu.Unlock()
	t.seq.drain()
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
	for {
		h, ok := q.headTicket()
		if !ok || h.claimed || time.Since(h.issued) < unclaimedTimeout {
			break
		}
		q.finish(h)
	}
	q.mu.Unlock()
	q.drain()
}
