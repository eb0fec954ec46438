package clientip

import (
	"net/http"
	"testing"
)

func TestClientAddress(t *testing.T) {
	for _, tc := range []struct {
		name   string
		res    *Resolver
		remote string
		xff    []string
		want   string
	}{
		{"no proxy: the peer, whatever the header says", New(0), "203.0.113.7:5000", []string{"1.2.3.4"}, "203.0.113.7"},
		{"nil resolver", nil, "203.0.113.7:5000", nil, "203.0.113.7"},
		{"one proxy: the address it saw", New(1), "10.1.1.1:5000", []string{"198.51.100.9"}, "198.51.100.9"},
		{"one proxy: a client's own entries are left of it", New(1), "10.1.1.1:5000", []string{"1.2.3.4, 198.51.100.9"}, "198.51.100.9"},
		{"Render (Cloudflare + proxy): the address Cloudflare saw", New(2), "10.21.157.68:5000", []string{"99.61.165.29, 104.22.17.40"}, "99.61.165.29"},
		{"Render with a forged entry", New(2), "10.21.157.68:5000", []string{"6.6.6.6, 99.61.165.29, 104.22.17.40"}, "99.61.165.29"},
		{"several header lines are one list", New(2), "10.1.1.1:5000", []string{"6.6.6.6", "99.61.165.29", "104.22.17.40"}, "99.61.165.29"},
		{"fewer entries than proxies", New(2), "10.1.1.1:5000", []string{"99.61.165.29"}, "99.61.165.29"},
		{"no header: the peer", New(2), "10.1.1.1:5000", nil, "10.1.1.1"},
		{"garbage: the peer", New(1), "10.1.1.1:5000", []string{"nonsense"}, "10.1.1.1"},
		{"IPv6 and mapped IPv4", New(0), "[::ffff:192.0.2.1]:80", nil, "192.0.2.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &http.Request{RemoteAddr: tc.remote, Header: http.Header{}}
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := tc.res.Of(r); got != tc.want {
				t.Fatalf("Of = %q, want %q", got, tc.want)
			}
		})
	}
}
