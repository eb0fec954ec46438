package edge

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// proxies are the peers trusted to name the client in X-Forwarded-For.
type proxies []netip.Prefix

func (p proxies) trusts(a netip.Addr) bool {
	for _, prefix := range p {
		if prefix.Contains(a) {
			return true
		}
	}
	return false
}

// addrOf is the IP of a "host:port" (or bare host) address, unmapped.
func addrOf(hostport string) (netip.Addr, bool) {
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

// clientIP is who sent r. A peer that is not a trusted proxy is the client;
// through trusted proxies it is the rightmost X-Forwarded-For entry that is
// not one of them (entries left of it could be forged by the client). ok is
// false when every hop is trusted: the request comes from our own
// infrastructure (another instance forwarding a polling request, a health
// check) and is counted where it entered.
func clientIP(peer netip.Addr, h http.Header, trusted proxies) (netip.Addr, bool) {
	if !trusted.trusts(peer) {
		return peer, true
	}
	values := h.Values("X-Forwarded-For")
	for i := len(values) - 1; i >= 0; i-- {
		hops := strings.Split(values[i], ",")
		for j := len(hops) - 1; j >= 0; j-- {
			a, ok := addrOf(strings.TrimSpace(hops[j]))
			if !ok {
				return netip.Addr{}, false // garbage from an untrusted hop: no usable address
			}
			if !trusted.trusts(a) {
				return a, true
			}
		}
	}
	return netip.Addr{}, false
}

type clientIPKey struct{}

// ClientIP is the client address the edge resolved for the request (see
// clientIP), for per-address limits elsewhere; ok is false when the request
// came only through trusted hops or did not pass the edge.
func ClientIP(ctx context.Context) (netip.Addr, bool) {
	a, ok := ctx.Value(clientIPKey{}).(netip.Addr)
	return a, ok
}
