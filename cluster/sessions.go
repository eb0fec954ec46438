package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// ForwardedHeader marks a request one instance forwarded to another; a request
// carrying it is never forwarded again (no loops between instances).
const ForwardedHeader = "X-Izpochat-Forwarded-By"

// SessionRoutesOptions tunes session routing; zero values take the defaults.
type SessionRoutesOptions struct {
	KeyPrefix   string        // default "izpochat:eio:"
	TTL         time.Duration // a silent instance's sessions are forgotten after this; default 30s
	OpTimeout   time.Duration // longest one Redis call waits; default 500ms
	DialTimeout time.Duration // longest a forward waits to connect to the owner; default 2s
	Logger      *slog.Logger
}

// SessionRoutes makes Engine.IO sessions reachable through any instance, so
// HTTP long-polling works behind a load balancer without sticky sessions.
// Every session started here is recorded in Redis as sid -> this instance's
// address; another instance that receives a request for it forwards the request
// (polling GET/POST, or the websocket upgrade) to that address.
//
// Only addresses of live instances are used: each instance keeps an owner key
// alive with the same TTL, and a sid whose owner key is gone is unknown.
type SessionRoutes struct {
	rdb     redis.UniversalClient
	addr    string
	prefix  string
	ttl     time.Duration
	timeout time.Duration
	log     *slog.Logger
	health  breaker
	proxy   *httputil.ReverseProxy

	mu    sync.Mutex
	local map[string]struct{} // sessions held here

	stop context.CancelFunc
	done chan struct{}
}

// NewSessionRoutes builds the routes of the instance that peers reach at addr (host:port).
func NewSessionRoutes(rdb redis.UniversalClient, addr string, opts SessionRoutesOptions) *SessionRoutes {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	r := &SessionRoutes{
		rdb:     rdb,
		addr:    addr,
		prefix:  orDefault(opts.KeyPrefix, "izpochat:eio:"),
		ttl:     orDefault(opts.TTL, 30*time.Second),
		timeout: orDefault(opts.OpTimeout, 500*time.Millisecond),
		log:     log.With("component", "cluster.sessions"),
		health:  breaker{cooldown: time.Second},
		local:   map[string]struct{}{},
	}
	r.proxy = r.newProxy(orDefault(opts.DialTimeout, 2*time.Second))
	return r
}

// Start keeps this instance's owner key and its sessions' keys alive; the
// first refresh happens at once. After a failure (Redis down or restarted and
// empty) it retries every second, so sessions become reachable again quickly.
func (r *SessionRoutes) Start(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	r.stop, r.done = cancel, make(chan struct{})
	go func() {
		defer close(r.done)
		for {
			wait := r.ttl / 3
			if err := r.refresh(ctx); err != nil {
				wait = min(wait, time.Second)
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
		}
	}()
}

// Opened records a session started here. It is called before the handshake
// answer leaves this instance, so the client's next request, wherever it lands,
// finds the session's owner.
func (r *SessionRoutes) Opened(sid string) {
	r.mu.Lock()
	r.local[sid] = struct{}{}
	r.mu.Unlock()
	if !r.health.allow() {
		return // the refresh loop registers it once Redis is back
	}
	ctx, cancel := context.WithTimeout(context.Background(), r.timeout)
	defer cancel()
	r.note(r.rdb.Set(ctx, r.sidKey(sid), r.addr, r.ttl).Err())
}

// Closed forgets a session that ended here.
func (r *SessionRoutes) Closed(sid string) {
	r.mu.Lock()
	delete(r.local, sid)
	r.mu.Unlock()
	if !r.health.allow() {
		return // its key expires on its own
	}
	ctx, cancel := context.WithTimeout(context.Background(), r.timeout)
	defer cancel()
	r.note(deleteIfOwnerScript.Run(ctx, r.rdb, []string{r.sidKey(sid)}, r.addr).Err())
}

// Forward serves a request for session sid, which this instance does not hold,
// by passing it to the instance that does. When no live instance holds it, the
// client is told what Engine.IO says for an unknown session, so it reconnects.
func (r *SessionRoutes) Forward(w http.ResponseWriter, req *http.Request, sid string) {
	if req.Header.Get(ForwardedHeader) != "" {
		writeUnknownSession(w) // already forwarded once: the owner lost it
		return
	}
	owner, err := r.Owner(req.Context(), sid)
	if err != nil || owner == r.addr {
		writeUnknownSession(w)
		return
	}
	r.proxy.ServeHTTP(w, req.WithContext(context.WithValue(req.Context(), ownerKey{}, owner)))
}

// Owner is the address of the live instance holding sid, or an error.
func (r *SessionRoutes) Owner(ctx context.Context, sid string) (string, error) {
	if !r.health.allow() {
		return "", errRedisDown
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.timeout)
	defer cancel()
	owner, err := ownerScript.Run(ctx, r.rdb, []string{r.sidKey(sid)}, r.prefix+"owner:").Text()
	if errors.Is(err, redis.Nil) {
		return "", fmt.Errorf("session %s: no live owner", sid)
	}
	r.note(err)
	if err != nil {
		return "", fmt.Errorf("look up owner of session %s: %w", sid, err)
	}
	return owner, nil
}

// Close stops the refresh and removes this instance's keys, so peers stop
// forwarding to it at once.
func (r *SessionRoutes) Close() error {
	if r.stop != nil {
		r.stop()
		<-r.done
	}
	r.mu.Lock()
	keys := []string{r.prefix + "owner:" + r.addr}
	for sid := range r.local {
		keys = append(keys, r.sidKey(sid))
	}
	r.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 2*r.timeout)
	defer cancel()
	if err := r.rdb.Del(ctx, keys...).Err(); err != nil {
		return fmt.Errorf("remove session routes of %s: %w", r.addr, err)
	}
	return nil
}

// refresh re-sets the owner key and every local session's key.
func (r *SessionRoutes) refresh(ctx context.Context) error {
	r.mu.Lock()
	sids := make([]string, 0, len(r.local))
	for sid := range r.local {
		sids = append(sids, sid)
	}
	r.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, max(r.timeout, r.ttl/3))
	defer cancel()
	_, err := r.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, r.prefix+"owner:"+r.addr, "1", r.ttl)
		for _, sid := range sids {
			p.Set(ctx, r.sidKey(sid), r.addr, r.ttl)
		}
		return nil
	})
	r.note(err)
	return err
}

func (r *SessionRoutes) note(err error) {
	if r.health.record(err) {
		if err != nil {
			r.log.Warn("redis session routes failing; polling clients of other instances must reconnect", "err", err)
		} else {
			r.log.Info("redis session routes restored")
		}
	}
}

func (r *SessionRoutes) sidKey(sid string) string { return r.prefix + "sid:" + sid }

type ownerKey struct{}

// newProxy forwards to the owner chosen by Forward; it handles websocket upgrades.
func (r *SessionRoutes) newProxy(dialTimeout time.Duration) *httputil.ReverseProxy {
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			owner, _ := pr.In.Context().Value(ownerKey{}).(string)
			pr.Out.URL.Scheme = "http"
			pr.Out.URL.Host = owner
			pr.Out.Host = pr.In.Host
			pr.SetXForwarded()
			pr.Out.Header.Set(ForwardedHeader, r.addr)
		},
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConnsPerHost: 64,
			IdleConnTimeout:     90 * time.Second,
		},
		ModifyResponse: func(res *http.Response) error {
			// This instance's own middleware already set these (CORS included: a
			// second Access-Control-Allow-Origin would make browsers refuse the answer).
			for _, h := range []string{"X-Request-Id", "Access-Control-Allow-Origin", "Access-Control-Allow-Credentials", "Access-Control-Expose-Headers"} {
				res.Header.Del(h)
			}
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, req *http.Request, err error) {
			if req.Context().Err() != nil {
				return // the client went away
			}
			owner, _ := req.Context().Value(ownerKey{}).(string)
			r.log.Warn("forward to session owner failed; client must reconnect", "owner", owner, "err", err)
			writeUnknownSession(w)
		},
	}
}

// writeUnknownSession answers like Engine.IO does for a session it does not know.
func writeUnknownSession(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadRequest)
	_, _ = w.Write([]byte(`{"code":1,"message":"Session ID unknown"}`))
}

// ownerScript returns the owner of a session if that owner is alive.
var ownerScript = redis.NewScript(`
local owner = redis.call('GET', KEYS[1])
if not owner then return false end
if redis.call('EXISTS', ARGV[1] .. owner) == 0 then return false end
return owner`)

// deleteIfOwnerScript deletes a session's key unless another instance took it over.
var deleteIfOwnerScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)
