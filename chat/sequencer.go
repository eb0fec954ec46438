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
	store   *models.Store
	publish func(ctx context.Context, ev Event)

	queue  chan *pendingPost
	stored chan storedBatch
	stop   chan struct{}
	done   sync.WaitGroup
	once   sync.Once

	// yield lets other goroutines run while the writer gathers a batch
	// (runtime.Gosched; tests replace it), for at most gatherFor (maxGather).
	yield       func()
	gatherFor   time.Duration
	spacing     commitSpacing
	checkpoints walCheckpoints
	commits     atomic.Int64 // batches written, for tests and benchmarks
}

// storedBatch is a batch the writer has stored (or failed to), in id order.
type storedBatch struct {
	posts []*pendingPost
	err   error
}

type pendingPost struct {
	msg    *models.Message
	event  func(m *models.Message) Event
	result chan error
}

const (
	sequencerBatch = 256
	// maxGather bounds how long the writer keeps yielding to goroutines that
	// queue posts before it commits (see gather).
	maxGather = 250 * time.Microsecond
)

func newSequencer(store *models.Store, publish func(context.Context, Event), log *slog.Logger) *sequencer {
	q := &sequencer{store: store, publish: publish, queue: make(chan *pendingPost, 4*sequencerBatch),
		stored: make(chan storedBatch, 64), stop: make(chan struct{}), yield: runtime.Gosched, gatherFor: maxGather}
	if store.Dialect() == "sqlite" {
		q.checkpoints = walCheckpoints{every: checkpointEvery, yield: runtime.Gosched, log: log,
			run: func(ctx context.Context) error { _, err := store.CheckpointWAL(ctx); return err }}
	}
	q.done.Add(2)
	go q.run()
	go q.deliver()
	return q
}

// submit stores msg and publishes the event built from it once stored. It waits
// for the outcome even when ctx ends: the message may be stored already.
func (q *sequencer) submit(ctx context.Context, msg *models.Message, event func(*models.Message) Event) error {
	p := &pendingPost{msg: msg, event: event, result: make(chan error, 1)}
	select {
	case q.queue <- p:
	case <-q.stop:
		return Wrap(KindUnavailable, "server is shutting down", context.Canceled)
	case <-ctx.Done():
		return Wrap(KindUnavailable, "request cancelled", ctx.Err())
	}
	return <-p.result
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

// write stores a batch and passes it on to the publishing stage.
func (q *sequencer) write(batch []*pendingPost) {
	msgs := make([]*models.Message, len(batch))
	for i, p := range batch {
		msgs[i] = p.msg
	}
	err := q.store.InsertMessages(context.Background(), msgs)
	q.commits.Add(1)
	q.stored <- storedBatch{posts: batch, err: err}
}

// deliver publishes stored batches in the order they were stored, then answers
// each poster.
func (q *sequencer) deliver() {
	defer q.done.Done()
	ctx := context.Background()
	for b := range q.stored {
		for _, p := range b.posts {
			if b.err == nil {
				q.publish(ctx, p.event(p.msg))
			}
			p.result <- b.err
		}
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
