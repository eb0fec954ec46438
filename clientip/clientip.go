// Package clientip says which address a request comes from: the one rule every
// door uses for per-IP connection caps, rate limits and logs.
package clientip

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Resolve is who sent a request that arrived from peer with headers h. A peer
// that is not a trusted proxy is the client. Through trusted proxies it is the
// rightmost X-Forwarded-For entry that is not one of them: each proxy appends
// the address it saw, so entries left of that one could have been written by
// the client. ok is false when every hop is trusted: the request comes from our
// own infrastructure (another instance forwarding a polling request, a health
// check) and is counted where it entered.
func Resolve(peer netip.Addr, h http.Header, trusted []netip.Prefix) (netip.Addr, bool) {
	peer = peer.Unmap()
	if !trusts(trusted, peer) {
		return peer, true
	}
	values := h.Values("X-Forwarded-For")
	for i := len(values) - 1; i >= 0; i-- {
		hops := strings.Split(values[i], ",")
		for j := len(hops) - 1; j >= 0; j-- {
			a, ok := AddrOf(strings.TrimSpace(hops[j]))
			if !ok {
				return netip.Addr{}, false // garbage from an untrusted hop: no usable address
			}
			if !trusts(trusted, a) {
				return a, true
			}
		}
	}
	return netip.Addr{}, false
}

// Trusts says whether a is in one of the trusted prefixes.
func Trusts(trusted []netip.Prefix, a netip.Addr) bool { return trusts(trusted, a.Unmap()) }

func trusts(trusted []netip.Prefix, a netip.Addr) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// AddrOf is the IP of a "host:port" (or bare host) address, unmapped.
func AddrOf(hostport string) (netip.Addr, bool) {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

type key struct{}

// With records addr as the client the edge resolved for a request.
func With(ctx context.Context, addr netip.Addr) context.Context {
	return context.WithValue(ctx, key{}, addr)
}

// Of is the client address of r, as text: the one the edge resolved (see
// Resolve), else r's peer address — for requests that came only through our
// own infrastructure, and for handlers served without the edge (tests). It is
// "" only when no address is readable.
func Of(r *http.Request) string {
	if a, ok := r.Context().Value(key{}).(netip.Addr); ok {
		return a.String()
	}
	if a, ok := AddrOf(r.RemoteAddr); ok {
		return a.String()
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
