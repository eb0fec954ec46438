package edge

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/izpochat/server/clientip"
)

// conns counts open connections, in total and per client address.
//
// A peer that is not a trusted proxy is counted per address when its TCP
// connection is accepted. Behind a trusted proxy (Render's) every connection
// comes from the proxy and carries many clients' requests in turn, so there the
// count per address is of requests in flight for the client named in
// X-Forwarded-For, a websocket counting until its connection closes.
type conns struct {
	maxTotal, maxPerIP int
	trusted            []netip.Prefix
	log                *slog.Logger

	mu    sync.Mutex
	total int
	perIP map[netip.Addr]int

	refused    atomic.Int64
	lastLogged atomic.Int64 // unix nanoseconds of the last "refused" log line
}

func newConns(maxTotal, maxPerIP int, trusted []netip.Prefix, log *slog.Logger) *conns {
	return &conns{maxTotal: maxTotal, maxPerIP: maxPerIP, trusted: trusted, log: log, perIP: map[netip.Addr]int{}}
}

// Listener wraps ln so that connections beyond the caps are closed as soon as
// they are accepted, before a byte of them is read.
func (e *Edge) Listener(ln net.Listener) net.Listener { return &listener{Listener: ln, c: e.conns} }

type listener struct {
	net.Listener
	c *conns
}

func (l *listener) Accept() (net.Conn, error) {
	for {
		nc, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		peer, _ := clientip.AddrOf(nc.RemoteAddr().String())
		perIP := !clientip.Trusts(l.c.trusted, peer)
		if !l.c.admit(peer, perIP, true) {
			_ = nc.Close()
			l.c.noteRefused(peer)
			continue
		}
		tc := &trackedConn{Conn: nc, c: l.c, peer: peer}
		if perIP {
			tc.release = append(tc.release, func() { l.c.leave(peer, true, true) })
		} else {
			tc.release = append(tc.release, func() { l.c.leave(peer, false, true) })
		}
		return tc, nil
	}
}

// admit counts one more connection (in total when total is set) for a, per
// address when perIP is set; false when that would pass a cap.
func (c *conns) admit(a netip.Addr, perIP, total bool) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if total && c.maxTotal > 0 && c.total >= c.maxTotal {
		return false
	}
	if perIP && c.maxPerIP > 0 && c.perIP[a] >= c.maxPerIP {
		return false
	}
	if total {
		c.total++
	}
	if perIP {
		c.perIP[a]++
	}
	return true
}

func (c *conns) leave(a netip.Addr, perIP, total bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if total {
		c.total--
	}
	if perIP {
		if c.perIP[a]--; c.perIP[a] <= 0 {
			delete(c.perIP, a)
		}
	}
}

// noteRefused logs refusals at most every 10 seconds, with their count.
func (c *conns) noteRefused(a netip.Addr) {
	n := c.refused.Add(1)
	now := time.Now().UnixNano()
	last := c.lastLogged.Load()
	if now-last >= int64(10*time.Second) && c.lastLogged.CompareAndSwap(last, now) {
		c.log.Warn("connections refused: over the connection cap", "refused_total", n, "last_addr", a.String(),
			"max_connections", c.maxTotal, "max_connections_per_ip", c.maxPerIP)
	}
}

// trackedConn gives its counts back when it closes, also after a hijack (a
// websocket), which the HTTP server no longer sees.
type trackedConn struct {
	net.Conn
	c        *conns
	peer     netip.Addr
	hijacked atomic.Bool

	mu      sync.Mutex
	release []func()
	closed  bool
}

func (t *trackedConn) Close() error {
	err := t.Conn.Close()
	t.mu.Lock()
	release := t.release
	t.release, t.closed = nil, true
	t.mu.Unlock()
	for _, r := range release {
		r()
	}
	return err
}

// onClose runs r when the connection closes (at once if it already has).
func (t *trackedConn) onClose(r func()) {
	t.mu.Lock()
	if !t.closed {
		t.release = append(t.release, r)
		t.mu.Unlock()
		return
	}
	t.mu.Unlock()
	r()
}

// SyscallConn, ReadFrom and CloseWrite pass through, so the websocket
// transport's epoll poller, sendfile and graceful closes keep working.
func (t *trackedConn) SyscallConn() (syscall.RawConn, error) {
	if sc, ok := t.Conn.(syscall.Conn); ok {
		return sc.SyscallConn()
	}
	return nil, syscall.EINVAL
}

func (t *trackedConn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := t.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{t.Conn}, r)
}

func (t *trackedConn) CloseWrite() error {
	if cw, ok := t.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

type connKey struct{}

func (c *conns) connContext(ctx context.Context, nc net.Conn) context.Context {
	if tc, ok := nc.(*trackedConn); ok {
		return context.WithValue(ctx, connKey{}, tc)
	}
	return ctx
}

func (c *conns) connState(nc net.Conn, s http.ConnState) {
	if tc, ok := nc.(*trackedConn); ok && s == http.StateHijacked {
		tc.hijacked.Store(true)
	}
}

// enter resolves r's client and, for a client behind a trusted proxy, counts
// the request against its address. done gives the count back: when the request
// ends, or when its connection closes if the request took it over (websocket).
// ok is false when the client is over its cap.
func (c *conns) enter(r *http.Request) (ctx context.Context, done func(), ok bool) {
	ctx = r.Context()
	tc, _ := ctx.Value(connKey{}).(*trackedConn)
	peer := netip.Addr{}
	if tc != nil {
		peer = tc.peer
	} else if a, ok := clientip.AddrOf(r.RemoteAddr); ok {
		peer = a
	}
	client, known := clientip.Resolve(peer, r.Header, c.trusted)
	if known {
		ctx = clientip.With(ctx, client)
	}
	if !known || tc == nil || !clientip.Trusts(c.trusted, peer) {
		// Counted at accept (untrusted peer), or our own infrastructure.
		return ctx, func() {}, true
	}
	if !c.admit(client, true, false) {
		c.noteRefused(client)
		return ctx, nil, false
	}
	var once sync.Once
	leave := func() { once.Do(func() { c.leave(client, true, false) }) }
	return ctx, func() {
		if tc.hijacked.Load() {
			tc.onClose(leave)
			return
		}
		leave()
	}, true
}
