package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/izpochat/server/chat"
)

// DefaultEventsChannel carries every chat event of the deployment.
const DefaultEventsChannel = "izpochat#events"

// BrokerOptions tunes the broker; zero values take the defaults.
type BrokerOptions struct {
	Channel        string        // pub/sub channel; default DefaultEventsChannel
	PublishTimeout time.Duration // longest a publisher waits on Redis; default 500ms
	Logger         *slog.Logger
}

// Broker is a chat.Broker over Redis pub/sub: events are JSON on one channel, and
// each instance ignores the ones it published itself (the Hub delivered those
// locally already), so every listener gets every event exactly once.
type Broker struct {
	rdb     redis.UniversalClient
	origin  string
	channel string
	timeout time.Duration
	log     *slog.Logger
	health  breaker

	mu     sync.Mutex
	ps     *redis.PubSub
	cancel context.CancelFunc
	done   chan struct{}
}

var _ chat.Broker = (*Broker)(nil)

// NewBroker builds the broker of instance origin (the Hub's origin).
func NewBroker(rdb redis.UniversalClient, origin string, opts BrokerOptions) *Broker {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Broker{
		rdb:     rdb,
		origin:  origin,
		channel: orDefault(opts.Channel, DefaultEventsChannel),
		timeout: orDefault(opts.PublishTimeout, 500*time.Millisecond),
		log:     log.With("component", "cluster.broker"),
		health:  breaker{cooldown: time.Second},
	}
}

// Publish sends ev to the other instances. It never waits longer than the
// publish timeout; while Redis is down it fails at once (the event was already
// delivered locally) and the caller logs the error.
func (b *Broker) Publish(ctx context.Context, ev chat.Event) error {
	if ev.Origin == "" {
		ev.Origin = b.origin
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("encode event: %w", err)
	}
	if !b.health.allow() {
		return fmt.Errorf("publish %s event: %w", ev.Type, errRedisDown)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.timeout)
	defer cancel()
	err = b.rdb.Publish(ctx, b.channel, body).Err()
	if b.health.record(err) {
		if err != nil {
			b.log.Warn("redis publish failing; events reach this instance only", "err", err)
		} else {
			b.log.Info("redis publish restored")
		}
	}
	if err != nil {
		return fmt.Errorf("publish %s event: %w", ev.Type, err)
	}
	return nil
}

// Start subscribes and hands every other instance's event to deliver until ctx
// ends or Close is called. A Redis that is down now is not an error: the loop
// keeps retrying with backoff.
func (b *Broker) Start(ctx context.Context, deliver func(chat.Event)) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ps != nil {
		return fmt.Errorf("broker already started")
	}
	ctx, cancel := context.WithCancel(ctx)
	ps := b.rdb.Subscribe(ctx)
	if err := ps.Subscribe(ctx, b.channel); err != nil {
		// Recorded anyway; go-redis subscribes on reconnect.
		b.log.Warn("redis subscribe failed; retrying in the background", "channel", b.channel, "err", err)
	}
	b.ps, b.cancel, b.done = ps, cancel, make(chan struct{})
	go func() {
		defer close(b.done)
		receiveLoop(ctx, ps, b.log, "events", func(m *redis.Message) { b.receive(m, deliver) })
	}()
	return nil
}

func (b *Broker) receive(m *redis.Message, deliver func(chat.Event)) {
	var ev chat.Event
	if err := json.Unmarshal([]byte(m.Payload), &ev); err != nil {
		b.log.Warn("ignoring malformed cluster event", "err", err)
		return
	}
	if ev.Origin == b.origin {
		return
	}
	deliver(ev)
}

// Close stops the subscriber and waits for it.
func (b *Broker) Close() error {
	b.mu.Lock()
	ps, cancel, done := b.ps, b.cancel, b.done
	b.mu.Unlock()
	if ps == nil {
		return nil
	}
	cancel()
	err := ps.Close()
	<-done
	if err != nil {
		return fmt.Errorf("close event subscription: %w", err)
	}
	return nil
}
