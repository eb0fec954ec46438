package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/izpochat/server/chat"
)

// PresenceOptions tunes presence; zero values take the defaults.
type PresenceOptions struct {
	KeyPrefix string        // default "izpochat:presence:"
	TTL       time.Duration // an instance silent this long is dead; default 30s
	Heartbeat time.Duration // how often the instance says it is alive; default TTL/3
	OpTimeout time.Duration // longest one call waits on Redis; default 500ms
	Logger    *slog.Logger
}

// Presence is chat.Presence for the whole cluster. Every connection is recorded
// in Redis tagged with this instance's current tag (instance id + generation),
// whose key the heartbeat keeps alive. This instance's own connections are also
// kept in memory: while Redis is down the answers come from there (degraded: this
// instance only), and once Redis is back they are registered again under a new
// generation, which at the same time retires whatever the old one left behind.
type Presence struct {
	rdb      redis.UniversalClient
	instance string
	prefix   string
	ttl      time.Duration
	beat     time.Duration
	timeout  time.Duration
	log      *slog.Logger
	health   breaker

	mu    sync.Mutex // serialises enter/leave/resync of this instance
	local localConns
	gen   int64
	dirty bool // Redis missed some of our changes: re-register

	stop context.CancelFunc
	done chan struct{}
}

var _ chat.Presence = (*Presence)(nil)

// NewPresence builds the presence of instance (ids must be unique per live process).
func NewPresence(rdb redis.UniversalClient, instance string, opts PresenceOptions) *Presence {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	ttl := orDefault(opts.TTL, 30*time.Second)
	return &Presence{
		rdb:      rdb,
		instance: instance,
		prefix:   orDefault(opts.KeyPrefix, "izpochat:presence:"),
		ttl:      ttl,
		beat:     orDefault(opts.Heartbeat, ttl/3),
		timeout:  orDefault(opts.OpTimeout, 500*time.Millisecond),
		log:      log.With("component", "cluster.presence"),
		health:   breaker{cooldown: time.Second},
		local:    make(localConns),
		// A new process starts a new generation even with a fixed INSTANCE_ID, so
		// entries of a previous run under the same id are never counted as ours.
		gen: time.Now().UnixNano(),
	}
}

// Start begins the heartbeat; the first beat happens at once.
func (p *Presence) Start(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	p.stop, p.done = cancel, make(chan struct{})
	go func() {
		defer close(p.done)
		tick := time.NewTicker(p.beat)
		defer tick.Stop()
		for {
			p.heartbeat(ctx)
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
}

// Close stops the heartbeat and removes this instance's key, so its users leave
// the cluster's presence at once instead of after the TTL.
func (p *Presence) Close() error {
	if p.stop != nil {
		p.stop()
		<-p.done
	}
	ctx, cancel := context.WithTimeout(context.Background(), p.timeout)
	defer cancel()
	p.mu.Lock()
	key := p.instanceKey()
	p.mu.Unlock()
	if err := p.rdb.Del(ctx, key).Err(); err != nil {
		return fmt.Errorf("remove presence of instance %s: %w", p.instance, err)
	}
	return nil
}

func (p *Presence) Enter(ctx context.Context, roomID int64, user chat.UserRef, connID string) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	localFirst := p.local.enter(roomID, user, connID)
	userJSON, err := json.Marshal(user)
	if err != nil {
		return localFirst, fmt.Errorf("encode user: %w", err)
	}
	uid := strconv.FormatInt(user.ID, 10)
	res, ok := p.runLocked(ctx, enterScript,
		[]string{p.usersKey(roomID), p.userKey(roomID, uid), p.instanceKey()},
		p.member(connID), uid, string(userJSON), p.prefix+"instance:", p.ttl.Milliseconds())
	if !ok {
		return localFirst, nil
	}
	added, live := res[0] == 1, res[1]
	// First only if no other tab here (local) nor anywhere else (live counts all).
	return localFirst && added && live == 1, nil
}

func (p *Presence) Leave(ctx context.Context, roomID, userID int64, connID string) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	had, localLast := p.local.leave(roomID, userID, connID)
	uid := strconv.FormatInt(userID, 10)
	res, ok := p.runLocked(ctx, leaveScript,
		[]string{p.usersKey(roomID), p.userKey(roomID, uid), p.instanceKey()},
		p.member(connID), uid, p.prefix+"instance:", p.ttl.Milliseconds())
	if !ok {
		return localLast, nil
	}
	removed, live := res[0] == 1, res[1]
	return (removed || had) && live == 0, nil
}

func (p *Presence) Online(ctx context.Context, roomID int64) ([]chat.UserRef, error) {
	if p.health.allow() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.timeout)
		defer cancel()
		raw, err := onlineScript.Run(ctx, p.rdb, []string{p.usersKey(roomID)},
			p.userKeyPrefix(roomID), p.prefix+"instance:").StringSlice()
		p.note(err)
		if err == nil {
			out := make([]chat.UserRef, 0, len(raw))
			for _, s := range raw {
				var u chat.UserRef
				if json.Unmarshal([]byte(s), &u) == nil {
					out = append(out, u)
				}
			}
			sortUsers(out)
			return out, nil
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.local.online(roomID), nil
}

// runLocked runs an enter/leave script; ok=false means Redis was skipped or
// failed and the caller answers from local state. Holds p.mu.
func (p *Presence) runLocked(ctx context.Context, s *redis.Script, keys []string, args ...any) (res []int64, ok bool) {
	if !p.health.allow() {
		p.dirty = true
		return nil, false
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.timeout)
	defer cancel()
	res, err := s.Run(ctx, p.rdb, keys, args...).Int64Slice()
	p.note(err)
	if err == nil && len(res) != 3 {
		err = fmt.Errorf("unexpected script reply %v", res)
	}
	if err != nil {
		p.dirty = true
		return nil, false
	}
	if res[2] == 1 || p.dirty {
		// Our instance key was missing (Redis restarted or we were cut off long
		// enough to be declared dead), or Redis missed changes: register again.
		p.resyncLocked(ctx)
	}
	return res, true
}

// heartbeat keeps this instance alive in Redis and re-registers after an outage.
func (p *Presence) heartbeat(ctx context.Context) {
	p.mu.Lock()
	defer p.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	fresh, err := heartbeatScript.Run(ctx, p.rdb, []string{p.instanceKey()}, p.ttl.Milliseconds()).Int64()
	p.note(err)
	if err != nil {
		p.dirty = true
		return
	}
	if fresh == 1 || p.dirty {
		p.resyncLocked(ctx)
	}
}

var heartbeatScript = redis.NewScript(liveCountLua + `return refresh(KEYS[1], ARGV[1])`)

// resyncLocked registers all local connections under a new generation in one
// transaction and drops the old generation's key, which retires every entry it
// had (including ones for connections that closed while Redis was away).
func (p *Presence) resyncLocked(ctx context.Context) {
	oldKey := p.instanceKey()
	newGen := p.gen + 1
	newTag := p.tag(newGen)
	_, err := p.rdb.TxPipelined(ctx, func(tx redis.Pipeliner) error {
		tx.Set(ctx, p.prefix+"instance:"+newTag, "1", p.ttl)
		for roomID, conns := range p.local {
			for connID, u := range conns {
				uid := strconv.FormatInt(u.ID, 10)
				userJSON, _ := json.Marshal(u)
				tx.SAdd(ctx, p.userKey(roomID, uid), newTag+"\x00"+connID)
				tx.HSet(ctx, p.usersKey(roomID), uid, userJSON)
			}
		}
		tx.Del(ctx, oldKey)
		return nil
	})
	p.note(err)
	if err != nil {
		p.dirty = true
		return
	}
	p.gen, p.dirty = newGen, false
	p.log.Info("presence registered again in redis", "instance", p.instance, "rooms", len(p.local))
}

func (p *Presence) note(err error) {
	if p.health.record(err) {
		if err != nil {
			p.log.Warn("redis presence failing; answering with this instance's presence only", "err", err)
		} else {
			p.log.Info("redis presence restored")
		}
	}
}

func (p *Presence) tag(gen int64) string { return p.instance + "#" + strconv.FormatInt(gen, 10) }
func (p *Presence) instanceKey() string  { return p.prefix + "instance:" + p.tag(p.gen) }
func (p *Presence) member(connID string) string {
	return p.tag(p.gen) + "\x00" + connID
}
func (p *Presence) usersKey(roomID int64) string {
	return p.prefix + "room:" + strconv.FormatInt(roomID, 10) + ":users"
}
func (p *Presence) userKeyPrefix(roomID int64) string {
	return p.prefix + "room:" + strconv.FormatInt(roomID, 10) + ":user:"
}
func (p *Presence) userKey(roomID int64, uid string) string { return p.userKeyPrefix(roomID) + uid }
