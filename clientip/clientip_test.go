package clientip

import (
	"context"
	"net/http"
	"net/netip"
	"testing"
)

func TestResolve(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	peerProxy := netip.MustParseAddr("10.1.2.3")
	peerDirect := netip.MustParseAddr("198.51.100.4")
	cases := []struct {
		name   string
		peer   netip.Addr
		xff    []string
		want   string
		wantOK bool
	}{
		{"direct peer ignores the header", peerDirect, []string{"203.0.113.1"}, "198.51.100.4", true},
		{"proxy names the client", peerProxy, []string{"203.0.113.1"}, "203.0.113.1", true},
		{"forged entries left of the client are ignored", peerProxy, []string{"1.1.1.1, 203.0.113.1"}, "203.0.113.1", true},
		{"trusted hops are skipped", peerProxy, []string{"203.0.113.1, 10.9.9.9"}, "203.0.113.1", true},
		{"several header lines", peerProxy, []string{"1.1.1.1", "203.0.113.1"}, "203.0.113.1", true},
		{"IPv6 client", peerProxy, []string{"2001:db8::1"}, "2001:db8::1", true},
		{"mapped IPv4 client", peerProxy, []string{"::ffff:203.0.113.1"}, "203.0.113.1", true},
		{"only trusted hops: our own infrastructure", peerProxy, []string{"10.9.9.9"}, "", false},
		{"no header from the proxy", peerProxy, nil, "", false},
		{"garbage", peerProxy, []string{"not-an-ip"}, "", false},
	}
	for _, c := range cases {
		h := http.Header{}
		for _, v := range c.xff {
			h.Add("X-Forwarded-For", v)
		}
		got, ok := Resolve(c.peer, h, trusted)
		if ok != c.wantOK || (ok && got.String() != c.want) {
			t.Errorf("%s: got %v %v, want %q %v", c.name, got, ok, c.want, c.wantOK)
		}
	}
}

// throughEdge resolves r as the edge does and records the result in its context.
func throughEdge(r *http.Request, trusted []netip.Prefix) *http.Request {
	peer, _ := AddrOf(r.RemoteAddr)
	if a, ok := Resolve(peer, r.Header, trusted); ok {
		return r.WithContext(With(r.Context(), a))
	}
	return r
}

// The cases the hop-counting resolver had, under the trust rule.
func TestOf(t *testing.T) {
	private := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	// Render's proxy (private network) behind Cloudflare (one of its ranges).
	render := append([]netip.Prefix{netip.MustParsePrefix("104.16.0.0/13")}, private...)
	for _, tc := range []struct {
		name    string
		trusted []netip.Prefix
		edge    bool
		remote  string
		xff     []string
		want    string
	}{
		{"no proxy: the peer, whatever the header says", nil, true, "203.0.113.7:5000", []string{"1.2.3.4"}, "203.0.113.7"},
		{"without the edge: the peer", render, false, "10.1.1.1:5000", []string{"198.51.100.9"}, "10.1.1.1"},
		{"one proxy: the address it saw", private, true, "10.1.1.1:5000", []string{"198.51.100.9"}, "198.51.100.9"},
		{"one proxy: a client's own entries are left of it", private, true, "10.1.1.1:5000", []string{"1.2.3.4, 198.51.100.9"}, "198.51.100.9"},
		{"Render (Cloudflare + proxy): the address Cloudflare saw", render, true, "10.21.157.68:5000", []string{"99.61.165.29, 104.22.17.40"}, "99.61.165.29"},
		{"Render with a forged entry", render, true, "10.21.157.68:5000", []string{"6.6.6.6, 99.61.165.29, 104.22.17.40"}, "99.61.165.29"},
		{"several header lines are one list", render, true, "10.1.1.1:5000", []string{"6.6.6.6", "99.61.165.29", "104.22.17.40"}, "99.61.165.29"},
		{"Render without Cloudflare in front", render, true, "10.1.1.1:5000", []string{"99.61.165.29"}, "99.61.165.29"},
		{"no header: the peer", render, true, "10.1.1.1:5000", nil, "10.1.1.1"},
		{"garbage: the peer", private, true, "10.1.1.1:5000", []string{"nonsense"}, "10.1.1.1"},
		{"IPv6 and mapped IPv4", nil, true, "[::ffff:192.0.2.1]:80", nil, "192.0.2.1"},
		{"IPv6 peer", nil, false, "[2001:db8::7]:80", nil, "2001:db8::7"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := (&http.Request{RemoteAddr: tc.remote, Header: http.Header{}}).WithContext(context.Background())
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if tc.edge {
				r = throughEdge(r, tc.trusted)
			}
			if got := Of(r); got != tc.want {
				t.Fatalf("Of = %q, want %q", got, tc.want)
			}
		})
	}
}
