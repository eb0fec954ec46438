// Package redisadapter is the Socket.IO Redis adapter: the library has none for
// Go, so ours, built on its ClusterAdapter, joins the Socket.IO servers of
// several instances and speaks the protocol of Node's @socket.io/redis-adapter
// (createAdapter), so it also interoperates with Node servers on the same key.
// Closing a namespace ends its subscriptions in the background, in batches,
// unless a namespace of the same name took them over (the per-room namespaces
// come and go). A Redis outage costs calls nothing (cluster.Breaker) and each
// instance keeps serving its own clients.
package redisadapter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/zishang520/socket.io/v2/socket"

	"github.com/izpochat/server/cluster"
)

// Options tunes the adapter; zero values take the defaults.
type Options struct {
	// Key prefixes every channel; default "socket.io", as in the Node adapter.
	// Servers only see each other when they use the same key.
	Key string
	// RequestsTimeout bounds fetchSockets and serverSideEmit with ack; default 5s.
	RequestsTimeout time.Duration
	Logger          *slog.Logger
}

// Adapter builds the Redis adapter of every namespace of one Socket.IO
// server (it is a socket.AdapterConstructor: pass it to ServerOptions.SetAdapter).
// It speaks the protocol of Node's @socket.io/redis-adapter createAdapter():
//
//	<key>#<nsp>#[<room>#]          broadcasts, MessagePack [uid, packet, opts]
//	<key>-request#<nsp>#           requests (join/leave/disconnect/fetch/serverSideEmit/...)
//	<key>-response#<nsp>#[<uid>#]  responses
//
// and the number of servers is the number of subscribers of the request channel.
// All namespaces share one Redis subscriber connection.
type Adapter struct {
	rdb     redis.UniversalClient
	key     string
	timeout time.Duration
	log     *slog.Logger
	health  *cluster.Breaker
	// publishTimeout bounds one publish, so an emit never waits long on Redis.
	publishTimeout time.Duration
	ps             *redis.PubSub
	ctx            context.Context
	cancel         context.CancelFunc
	done           chan struct{}

	mu         sync.RWMutex
	byChannel  map[string]*redisAdapter // request and response channels
	byPattern  map[string]*redisAdapter // broadcast channel patterns
	namespaces map[*redisAdapter]struct{}
	closing    []*redisAdapter // closed adapters whose subscriptions are still to end
	// subMu orders every (un)subscribe with the map change it follows, so a
	// namespace closed and created again under the same name ends subscribed.
	subMu        sync.Mutex
	unsubscribed chan struct{} // signals the unsubscriber that closing has work
}

var _ socket.AdapterConstructor = (*Adapter)(nil)

// New starts the shared subscriber; it runs until ctx ends or Close.
func New(ctx context.Context, rdb redis.UniversalClient, opts Options) *Adapter {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	ctx, cancel := context.WithCancel(ctx)
	f := &Adapter{
		rdb:            rdb,
		key:            orDefault(opts.Key, "socket.io"),
		timeout:        orDefault(opts.RequestsTimeout, 5*time.Second),
		log:            log.With("component", "cluster.socketio"),
		health:         cluster.NewBreaker(time.Second),
		publishTimeout: 500 * time.Millisecond,
		ps:             rdb.Subscribe(ctx),
		ctx:            ctx,
		cancel:         cancel,
		done:           make(chan struct{}),
		byChannel:      map[string]*redisAdapter{},
		byPattern:      map[string]*redisAdapter{},
		namespaces:     map[*redisAdapter]struct{}{},
		unsubscribed:   make(chan struct{}, 1),
	}
	go func() {
		defer close(f.done)
		cluster.ReceiveLoop(ctx, f.ps, f.log, "socket.io", f.route)
	}()
	go f.unsubscribeLoop()
	return f
}

// New is called by the Socket.IO server for every namespace it creates.
func (f *Adapter) New(nsp socket.Namespace) socket.Adapter {
	a := newRedisAdapter(f, nsp)
	f.subMu.Lock()
	defer f.subMu.Unlock()
	f.mu.Lock()
	f.byPattern[a.pattern] = a
	for _, ch := range a.subscribedChannels() {
		f.byChannel[ch] = a
	}
	f.namespaces[a] = struct{}{}
	f.mu.Unlock()
	ctx, cancel := context.WithTimeout(f.ctx, f.timeout)
	defer cancel()
	// A failure here is recorded by go-redis and retried on reconnect.
	if err := f.ps.PSubscribe(ctx, a.pattern); err != nil {
		f.log.Warn("redis psubscribe failed; retrying in the background", "nsp", nsp.Name(), "err", err)
	}
	if err := f.ps.Subscribe(ctx, a.subscribedChannels()...); err != nil {
		f.log.Warn("redis subscribe failed; retrying in the background", "nsp", nsp.Name(), "err", err)
	}
	return a
}

// forget ends a closed namespace's subscriptions. The Socket.IO server closes
// an emptied child namespace's adapter while it decides on CONNECTs, so this
// only queues the work: the unsubscriber does it in batches, without holding
// up the server (or a CONNECT) on Redis.
func (f *Adapter) forget(a *redisAdapter) {
	f.mu.Lock()
	_, known := f.namespaces[a]
	delete(f.namespaces, a)
	if known {
		f.closing = append(f.closing, a)
	}
	f.mu.Unlock()
	if known {
		select {
		case f.unsubscribed <- struct{}{}:
		default:
		}
	}
}

func (f *Adapter) unsubscribeLoop() {
	for {
		select {
		case <-f.ctx.Done():
			return
		case <-f.unsubscribed:
			f.unsubscribeClosed()
		}
	}
}

// unsubscribeClosed ends the subscriptions of the adapters closed so far:
// those no newer adapter of the same namespace has taken over (the pattern,
// the request and response channels are per namespace; the specific response
// channel is per adapter).
func (f *Adapter) unsubscribeClosed() {
	f.subMu.Lock()
	defer f.subMu.Unlock()
	var patterns, channels []string
	f.mu.Lock()
	closing := f.closing
	f.closing = nil
	for _, a := range closing {
		if f.byPattern[a.pattern] == a {
			delete(f.byPattern, a.pattern)
			patterns = append(patterns, a.pattern)
		}
		for _, ch := range a.subscribedChannels() {
			if f.byChannel[ch] == a {
				delete(f.byChannel, ch)
				channels = append(channels, ch)
			}
		}
	}
	f.mu.Unlock()
	ctx, cancel := context.WithTimeout(f.ctx, f.timeout)
	defer cancel()
	// Never without names: an UNSUBSCRIBE of nothing ends every subscription.
	if len(patterns) > 0 {
		if err := f.ps.PUnsubscribe(ctx, patterns...); err != nil && f.ctx.Err() == nil {
			f.log.Warn("redis punsubscribe failed", "patterns", len(patterns), "err", err)
		}
	}
	if len(channels) > 0 {
		if err := f.ps.Unsubscribe(ctx, channels...); err != nil && f.ctx.Err() == nil {
			f.log.Warn("redis unsubscribe failed", "channels", len(channels), "err", err)
		}
	}
}

// route hands a pub/sub message to the namespace it belongs to.
func (f *Adapter) route(m *redis.Message) {
	f.mu.RLock()
	var a *redisAdapter
	if m.Pattern != "" {
		a = f.byPattern[m.Pattern]
	} else {
		a = f.byChannel[m.Channel]
	}
	f.mu.RUnlock()
	if a == nil {
		return
	}
	body := []byte(m.Payload)
	switch {
	case m.Pattern != "":
		a.onBroadcast(m.Channel, body)
	case strings.HasPrefix(m.Channel, a.responseChannel):
		a.onResponse(body)
	default:
		a.onRequest(body)
	}
}

// publish sends one message; failures are logged (the local part of every
// operation already happened) and returned.
func (f *Adapter) publish(channel string, body []byte) error {
	if !f.health.Allow() {
		return fmt.Errorf("publish to %s: %w", channel, cluster.ErrRedisDown)
	}
	ctx, cancel := context.WithTimeout(f.ctx, f.publishTimeout)
	defer cancel()
	err := f.rdb.Publish(ctx, channel, body).Err()
	if f.health.Record(err) {
		if err != nil {
			f.log.Warn("redis publish failing; Socket.IO broadcasts reach this server's clients only", "err", err)
		} else {
			f.log.Info("redis publish restored")
		}
	}
	if err != nil {
		return fmt.Errorf("publish to %s: %w", channel, err)
	}
	return nil
}

// serverCount is the number of Socket.IO servers subscribed to a request channel.
func (f *Adapter) serverCount(requestChannel string) int64 {
	if !f.health.Allow() {
		return 1 // Redis is down: only this server can answer
	}
	ctx, cancel := context.WithTimeout(f.ctx, time.Second)
	defer cancel()
	res, err := f.rdb.PubSubNumSub(ctx, requestChannel).Result()
	if err != nil || res[requestChannel] < 1 {
		return 1
	}
	return res[requestChannel]
}

// Close stops the subscriber. The Socket.IO server closes the namespaces' adapters itself.
func (f *Adapter) Close() error {
	f.cancel()
	err := f.ps.Close()
	<-f.done
	if err != nil && !errors.Is(err, redis.ErrClosed) {
		return fmt.Errorf("close socket.io subscription: %w", err)
	}
	return nil
}

// globEscape quotes the pattern characters of a namespace name for PSUBSCRIBE.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// orDefault is v, or def when v is the zero value.
func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
