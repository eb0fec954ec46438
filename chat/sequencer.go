package chat

import (
	"context"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/izpochat/server/models"
)

// sequencer is the single writer of messages: it stores whatever posts arrived
// together in one statement (group commit), then publishes them in id order, so
// every listener sees a room's messages in the order they were stored — still
// stored before delivered. Storing and publishing are two stages: the next batch
// is written while the previous one is handed to the doors.
type sequencer struct {
	store *models.Store
	// here hands an event to this instance's doors (fast: they enqueue);
	// elsewhere sends it to the other instances (Redis: may be slow), in order,
	// off the path that answers posters; nil with one instance.
	here      func(ev Event) Event
	elsewhere func(ctx context.Context, ev Event)
	// writeTimeout bounds how long a poster waits for the database (<= 0: no bound).
	writeTimeout time.Duration

	queue     chan *pendingPost
	stored    chan storedBatch
	forwarded chan Event // events stored and delivered here, for the other instances
	stop      chan struct{}
	done      sync.WaitGroup
	once      sync.Once
	log       *slog.Logger
	dropped   atomic.Int64 // events not forwarded because the broker fell too far behind

	// The batch whose statement is running, and since when (watch reads them).
	mu            sync.Mutex
	inflight      []*pendingPost
	inflightSince time.Time

	// yield lets other goroutines run while the writer gathers a batch
	// (runtime.Gosched; tests replace it), for at most gatherFor (maxGather).
	yield       func()
	gatherFor   time.Duration
	spacing     commitSpacing
	checkpoints walCheckpoints
	commits     atomic.Int64 // batches written, for tests and benchmarks
}

// storedBatch is a batch the writer has stored (each post's outcome in its
// err), in id order.
type storedBatch struct {
	posts []*pendingPost
}

type pendingPost struct {
	msg      *models.Message
	event    func(m *models.Message) Event
	result   chan error
	deadline int64 // when the poster stops waiting, in Unix nanoseconds (0: never); set by submit
	err      error // the outcome of storing it; set by write
	answered atomic.Bool
}

// answer tells the poster err, once: the watchdog may have answered already.
func (p *pendingPost) answer(err error) {
	if p.answered.CompareAndSwap(false, true) {
		p.result <- err
	}
}

const (
	sequencerBatch = 256
	// maxGather bounds how long the writer keeps yielding to goroutines that
	// queue posts before it commits (see gather).
	maxGather = 250 * time.Microsecond
	// forwardQueue is how many stored events may wait for a slow broker; beyond
	// it an event reaches this instance's clients only (memory stays bounded and
	// posters never wait for the broker).
	forwardQueue = 8192
)

func newSequencer(store *models.Store, here func(Event) Event, elsewhere func(context.Context, Event), writeTimeout time.Duration, log *slog.Logger) *sequencer {
	q := &sequencer{store: store, here: here, elsewhere: elsewhere, writeTimeout: writeTimeout,
		queue: make(chan *pendingPost, 4*sequencerBatch), stored: make(chan storedBatch, 64),
		forwarded: make(chan Event, forwardQueue), stop: make(chan struct{}), yield: runtime.Gosched, gatherFor: maxGather, log: log}
	if q.log == nil {
		q.log = slog.New(slog.DiscardHandler)
	}
	if store.Dialect() == "sqlite" {
		q.checkpoints = walCheckpoints{every: checkpointEvery, yield: runtime.Gosched, log: log,
			run: func(ctx context.Context) error { _, err := store.CheckpointWAL(ctx); return err }}
	}
	q.done.Add(2)
	go q.run()
	go q.deliver()
	if elsewhere != nil {
		q.done.Add(1)
		go q.forward()
	}
	if writeTimeout > 0 {
		q.done.Add(1)
		go q.watch()
	}
	return q
}

// submit stores msg and publishes the event built from it once stored. It waits
// for the outcome even when ctx ends (the message may be stored already), but
// not much beyond writeTimeout: the watchdog (watch) answers 503 then.
func (q *sequencer) submit(ctx context.Context, msg *models.Message, event func(*models.Message) Event) error {
	p := &pendingPost{msg: msg, event: event, result: make(chan error, 1)}
	if q.writeTimeout > 0 {
		p.deadline = time.Now().Add(q.writeTimeout).UnixNano()
	}
	select {
	case q.queue <- p:
	case <-q.stop:
		return errShuttingDown
	case <-ctx.Done():
		return Wrap(KindUnavailable, "request cancelled", ctx.Err())
	}
	return <-p.result
}

var errShuttingDown = Wrap(KindUnavailable, "server is shutting down", context.Canceled)

// watch answers posters the writer cannot answer in time: a statement that runs
// past writeTimeout (a database that hangs; the driver's own cancellation may
// not reach it — SQLite waiting on busy_timeout) gets its posters told 503 at
// their deadlines, and while it keeps running every post queued behind it is
// told 503 at once (the database is known to hang). Checked a few times per
// timeout, so a poster hears within about 1.25×writeTimeout. A post answered
// here is not stored if the writer has not begun its statement; one whose
// statement was running may still be stored (and delivered) if the database
// recovers: 503 means "not known to be stored".
func (q *sequencer) watch() {
	defer q.done.Done()
	tick := time.NewTicker(max(q.writeTimeout/4, time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-q.stop:
			return
		case now := <-tick.C:
			q.mu.Lock()
			batch, since := q.inflight, q.inflightSince
			q.mu.Unlock()
			if batch == nil || now.Sub(since) < q.writeTimeout {
				continue
			}
			for _, p := range batch {
				if p.deadline != 0 && now.UnixNano() > p.deadline {
					p.answer(errWriteTimeout)
				}
			}
			for drained := false; !drained; {
				select {
				case p := <-q.queue:
					p.answer(errWriteTimeout)
				default:
					drained = true
				}
			}
		}
	}
}

func (q *sequencer) run() {
	defer q.done.Done()
	defer close(q.stored)
	for {
		var first *pendingPost
		select {
		case first = <-q.queue:
		case <-q.stop:
			q.drain()
			return
		}
		q.spacing.wait()
		batch := q.gather(append(make([]*pendingPost, 0, 8), first))
		began := time.Now()
		q.write(batch)
		q.spacing.committed(time.Since(began))
		q.checkpoints.stored(len(batch))
	}
}

// gather adds to batch the posts already queued and those that goroutines
// runnable right now are about to queue: it yields the processor as long as
// yielding brings more posts, for at most maxGather, and the batch is then
// committed. A commit costs much the same however few rows it carries (WAL
// frames, locks, checkpoints), so the fuller it is the less each message costs.
// Why yield: on one core (the server is pinned to one) the first post wakes the
// writer ahead of every other runnable goroutine, so without yielding the
// writer committed one or two messages at a time however busy the server was.
// When nothing else is runnable the single yield returns at once: an idle
// server commits a lone message without delay.
func (q *sequencer) gather(batch []*pendingPost) []*pendingPost {
	batch = q.fill(batch)
	start := time.Now()
	for len(batch) < sequencerBatch {
		n := len(batch)
		q.yield()
		if batch = q.fill(batch); len(batch) == n || time.Since(start) >= q.gatherFor {
			break
		}
	}
	return batch
}

// fill adds what is queued, without waiting.
func (q *sequencer) fill(batch []*pendingPost) []*pendingPost {
	for len(batch) < sequencerBatch {
		select {
		case p := <-q.queue:
			batch = append(batch, p)
		default:
			return batch
		}
	}
	return batch
}

// write stores a batch and passes it on to the publishing stage. A post whose
// poster's deadline passed while it was queued is not stored. The statement runs
// until the earliest deadline of the batch, so no poster waits on a hung database
// beyond its own. A batch that fails for another reason is stored again row by
// row (the failed statement stored nothing: it is one statement, or one
// transaction beyond insertChunk rows), so a row that cannot be stored — its room
// deleted meanwhile — fails its own poster only.
func (q *sequencer) write(batch []*pendingPost) {
	msgs := make([]*models.Message, 0, len(batch))
	var deadline int64
	now := time.Now()
	for _, p := range batch {
		if p.deadline != 0 {
			if now.UnixNano() > p.deadline || p.answered.Load() {
				p.err = errWriteTimeout
				continue
			}
			if deadline == 0 || p.deadline < deadline {
				deadline = p.deadline
			}
		}
		msgs = append(msgs, p.msg)
	}
	ctx := context.Background()
	if deadline != 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, time.Unix(0, deadline))
		defer cancel()
	}
	if len(msgs) > 0 {
		if q.writeTimeout > 0 {
			q.setInflight(batch, now)
			defer q.setInflight(nil, time.Time{})
		}
		err := q.store.InsertMessages(ctx, msgs)
		q.commits.Add(1)
		switch {
		case err == nil:
		case ctx.Err() != nil || len(msgs) == 1:
			q.fail(batch, writeError(ctx, err))
		default:
			for _, p := range batch {
				if p.err == nil {
					p.err = writeError(ctx, q.store.InsertMessages(ctx, []*models.Message{p.msg}))
				}
			}
		}
	}
	q.storeMentions(ctx, batch)
	q.stored <- storedBatch{posts: batch}
}

// storeMentions records the mentions of the batch's stored messages (issue
// 23.6) before any of them is published: a page read after the event shows
// them. Most batches have none and cost no statement. A failure is logged:
// the messages are stored, only their mentions are lost.
func (q *sequencer) storeMentions(ctx context.Context, batch []*pendingPost) {
	var byMessage map[int64][]int64
	for _, p := range batch {
		if p.err == nil && len(p.msg.Mentions) > 0 && p.msg.ID > 0 {
			if byMessage == nil {
				byMessage = make(map[int64][]int64)
			}
			byMessage[p.msg.ID] = p.msg.Mentions
		}
	}
	if byMessage == nil {
		return
	}
	if err := q.store.InsertMentions(ctx, byMessage); err != nil {
		q.log.Error("store mentions", "messages", len(byMessage), "err", err)
		for _, p := range batch {
			if _, ok := byMessage[p.msg.ID]; ok {
				p.msg.Mentions = nil // not stored: not shown or notified
			}
		}
	}
}

func (q *sequencer) setInflight(batch []*pendingPost, since time.Time) {
	q.mu.Lock()
	q.inflight, q.inflightSince = batch, since
	q.mu.Unlock()
}

// fail records err for every post of batch that has no outcome yet.
func (q *sequencer) fail(batch []*pendingPost, err error) {
	for _, p := range batch {
		if p.err == nil {
			p.err = err
		}
	}
}

// errWriteTimeout is what a poster is told when the database did not store the
// message within DB_WRITE_TIMEOUT: the contract's 503.
var errWriteTimeout = Wrap(KindUnavailable, "the database did not answer in time; try again", context.DeadlineExceeded)

// writeError is err as the poster sees it: a database past the deadline is
// unavailable (503).
func writeError(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil {
		return errWriteTimeout
	}
	return err
}

// deliver hands stored batches to this instance's doors in the order they were
// stored, answers each poster, and queues the events for the other instances:
// a slow broker delays neither the answers nor local delivery.
func (q *sequencer) deliver() {
	defer q.done.Done()
	defer close(q.forwarded)
	for b := range q.stored {
		for _, p := range b.posts {
			if p.err != nil {
				p.answer(p.err)
				continue
			}
			ev := q.here(p.event(p.msg))
			p.answer(nil)
			if q.elsewhere == nil {
				continue // one instance: nobody to forward to
			}
			select {
			case q.forwarded <- ev:
			default:
				// The broker is far behind: the poster is not made to wait for
				// it, this event reaches this instance's clients only.
				if n := q.dropped.Add(1); n == 1 || n%1000 == 0 {
					q.log.Warn("fan-out to other instances is behind; event not forwarded", "room_id", ev.RoomID, "dropped", n)
				}
			}
		}
	}
}

// forward sends delivered events to the other instances, one at a time in
// stored order.
func (q *sequencer) forward() {
	defer q.done.Done()
	ctx := context.Background()
	for ev := range q.forwarded {
		q.elsewhere(ctx, ev)
	}
}

// drain stores what is still queued at shutdown.
func (q *sequencer) drain() {
	for {
		select {
		case p := <-q.queue:
			q.write([]*pendingPost{p})
		default:
			return
		}
	}
}

// close stops the writer after it has stored what was queued.
func (q *sequencer) close() {
	q.once.Do(func() { close(q.stop) })
	q.done.Wait()
}
