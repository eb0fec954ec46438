// Package clientip says which address a request comes from, the one way every
// door uses for per-IP limits and logs.
package clientip

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Resolver finds a request's client address. With no proxy in front it is the
// connection's peer address. Behind proxies (on Render: Cloudflare, then
// Render's own proxy) the peer is the last proxy, and each proxy appends the
// address it saw to X-Forwarded-For, so with hops proxies the client is the
// hops-th entry from the right. Entries further left were written by the
// client itself and are never believed.
type Resolver struct {
	hops int
}

// New builds a resolver for hops proxies in front of the server (0: none, the
// peer address is the client).
func New(hops int) *Resolver { return &Resolver{hops: max(0, hops)} }

// Of is the client address of r, as text ("" only if no address is readable).
func (res *Resolver) Of(r *http.Request) string {
	peer := peerAddr(r.RemoteAddr)
	if res == nil || res.hops == 0 {
		return peer
	}
	var entries []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		for _, e := range strings.Split(v, ",") {
			entries = append(entries, strings.TrimSpace(e))
		}
	}
	if len(entries) == 0 {
		return peer // not through the proxies (a health check on the private network)
	}
	// Fewer entries than proxies: the request skipped some; the leftmost is the
	// oldest address any of them saw.
	a, err := netip.ParseAddr(entries[max(0, len(entries)-res.hops)])
	if err != nil {
		return peer
	}
	return a.Unmap().String()
}

// peerAddr is the host of "host:port" (or a bare host), normalized.
func peerAddr(hostport string) string {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	return a.Unmap().String()
}
