package chat

import (
	"context"
	"sync"

	"github.com/izpochat/server/models"
)

// sequencer is the single writer of messages: it stores whatever posts arrived
// together in one statement (group commit), then publishes them in id order, so
// every listener sees a room's messages in the order they were stored — still
// stored before delivered.
type sequencer struct {
	store   *models.Store
	publish func(ctx context.Context, ev Event)

	queue chan *pendingPost
	stop  chan struct{}
	done  sync.WaitGroup
	once  sync.Once
}

type pendingPost struct {
	msg    *models.Message
	event  func(m *models.Message) Event
	result chan error
}

const sequencerBatch = 256

func newSequencer(store *models.Store, publish func(context.Context, Event)) *sequencer {
	q := &sequencer{store: store, publish: publish, queue: make(chan *pendingPost, 4*sequencerBatch), stop: make(chan struct{})}
	q.done.Add(1)
	go q.run()
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
	batch := make([]*pendingPost, 0, sequencerBatch)
	msgs := make([]*models.Message, 0, sequencerBatch)
	for {
		select {
		case p := <-q.queue:
			batch = append(batch[:0], p)
		case <-q.stop:
			q.drain()
			return
		}
	fill:
		for len(batch) < sequencerBatch {
			select {
			case p := <-q.queue:
				batch = append(batch, p)
			default:
				break fill
			}
		}
		q.write(batch, msgs[:0])
	}
}

func (q *sequencer) write(batch []*pendingPost, msgs []*models.Message) {
	for _, p := range batch {
		msgs = append(msgs, p.msg)
	}
	ctx := context.Background()
	err := q.store.InsertMessages(ctx, msgs)
	for _, p := range batch {
		if err == nil {
			q.publish(ctx, p.event(p.msg))
		}
		p.result <- err
	}
}

// drain answers what is still queued at shutdown, storing it first.
func (q *sequencer) drain() {
	for {
		select {
		case p := <-q.queue:
			q.write([]*pendingPost{p}, nil)
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
