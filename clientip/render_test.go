package clientip_test

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/izpochat/server/clientip"
	"github.com/izpochat/server/config"
)

// On Render, with the default TRUSTED_PROXIES, a request through Cloudflare
// and Render's proxy resolves to the real client whatever the client forged
// into X-Forwarded-For; so does one that skipped Cloudflare.
func TestRenderDefaultFindsTheRealClient(t *testing.T) {
	env := map[string]string{"RENDER": "true", "JWT_SECRET_KEY": strings.Repeat("k", 40), "DATA_DIR": t.TempDir()}
	cfg, err := config.Load(func(k string) string { return env[k] }, "")
	if err != nil {
		t.Fatal(err)
	}
	trusted := cfg.HTTP.TrustedProxies
	renderProxy := netip.MustParseAddr("10.21.157.68") // the peer: Render's proxy
	for _, c := range []struct {
		name string
		xff  []string
		want string
	}{
		// The client sent "6.6.6.6, 10.0.0.1"; Cloudflare appended the client
		// it saw, Render's proxy the Cloudflare edge it came from.
		{"forged, then client by Cloudflare, then Cloudflare by Render", []string{"6.6.6.6, 10.0.0.1, 99.61.165.29, 172.70.100.5"}, "99.61.165.29"},
		{"forged Cloudflare address left of the client", []string{"104.16.0.1, 99.61.165.29, 172.70.100.5"}, "99.61.165.29"},
		{"IPv6 client and Cloudflare edge", []string{"6.6.6.6", "2001:db8::42, 2606:4700::6810:84e5"}, "2001:db8::42"},
		{"straight to Render's proxy, forged entries", []string{"6.6.6.6, 104.16.0.1", "99.61.165.29"}, "99.61.165.29"},
	} {
		h := http.Header{}
		for _, v := range c.xff {
			h.Add("X-Forwarded-For", v)
		}
		got, ok := clientip.Resolve(renderProxy, h, trusted)
		if !ok || got.String() != c.want {
			t.Errorf("%s: got %v %v, want %s", c.name, got, ok, c.want)
		}
	}
}
