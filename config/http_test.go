package config

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestHTTPDefaults(t *testing.T) {
	h := mustLoad(t, map[string]string{}).HTTP
	want := HTTP{ReadHeaderTimeout: 10 * time.Second, BodyTimeout: 30 * time.Second, WriteTimeout: 60 * time.Second,
		MaxJSONBody: 64 << 10, UploadMinRate: 1024, UploadRateWindow: 30 * time.Second,
		MaxConns: 10000, MaxConnsPerIP: 256}
	if !reflect.DeepEqual(h, want) {
		t.Fatalf("defaults = %+v\nwant       %+v", h, want)
	}
	// On Render the proxy connects from the private network, and requests may
	// come through Cloudflare before it: both trusted by default, clients not.
	onRender := mustLoad(t, map[string]string{"RENDER": "true", "JWT_SECRET_KEY": strings.Repeat("k", 40)}).HTTP
	if len(onRender.TrustedProxies) != len(privateRanges)+len(cloudflareRanges) || !proxiesContain(onRender.TrustedProxies, "10.20.30.40") {
		t.Fatalf("Render default trusted proxies = %v", onRender.TrustedProxies)
	}
	for _, cloudflare := range []string{"104.22.17.40", "172.70.1.1", "162.158.0.1", "2606:4700::6810:1", "2a06:98c7::1"} {
		if !proxiesContain(onRender.TrustedProxies, cloudflare) {
			t.Errorf("Cloudflare address %s not trusted on Render", cloudflare)
		}
	}
	for _, client := range []string{"99.61.165.29", "203.0.113.7", "2001:db8::1", "104.32.0.1"} {
		if proxiesContain(onRender.TrustedProxies, client) {
			t.Errorf("client address %s trusted on Render: it could name any address in X-Forwarded-For", client)
		}
	}
	// The longest message, fully escaped, always fits the JSON limit.
	long := mustLoad(t, map[string]string{"MAX_MESSAGE_LENGTH": "50000"}).HTTP
	if long.MaxJSONBody < 6*50000 {
		t.Fatalf("MaxJSONBody %d does not fit a 50000-character message", long.MaxJSONBody)
	}
}

func TestHTTPOverrides(t *testing.T) {
	h := mustLoad(t, map[string]string{
		"HTTP_READ_HEADER_TIMEOUT": "3", "HTTP_BODY_TIMEOUT": "4s", "HTTP_WRITE_TIMEOUT": "5s",
		"MAX_JSON_BODY_KB": "16", "UPLOAD_MIN_RATE": "500", "UPLOAD_RATE_WINDOW": "7s",
		"MAX_CONNECTIONS": "0", "MAX_CONNECTIONS_PER_IP": "8", "TRUSTED_PROXIES": "192.0.2.0/24, 2001:db8::1",
	}).HTTP
	if h.ReadHeaderTimeout != 3*time.Second || h.BodyTimeout != 4*time.Second || h.WriteTimeout != 5*time.Second ||
		h.MaxJSONBody != 16<<10 || h.UploadMinRate != 500 || h.UploadRateWindow != 7*time.Second ||
		h.MaxConns != 0 || h.MaxConnsPerIP != 8 {
		t.Fatalf("overrides = %+v", h)
	}
	if !proxiesContain(h.TrustedProxies, "192.0.2.77") || !proxiesContain(h.TrustedProxies, "2001:db8::1") ||
		proxiesContain(h.TrustedProxies, "2001:db8::2") {
		t.Fatalf("trusted proxies = %v", h.TrustedProxies)
	}
	none := mustLoad(t, map[string]string{"RENDER": "1", "JWT_SECRET_KEY": strings.Repeat("k", 40), "TRUSTED_PROXIES": "none"}).HTTP
	if len(none.TrustedProxies) != 0 {
		t.Fatalf("TRUSTED_PROXIES=none gave %v", none.TrustedProxies)
	}
	// On Render an operator's list replaces the default, Cloudflare's ranges included.
	own := mustLoad(t, map[string]string{"RENDER": "1", "JWT_SECRET_KEY": strings.Repeat("k", 40), "TRUSTED_PROXIES": "10.0.0.0/8"}).HTTP
	if len(own.TrustedProxies) != 1 || !proxiesContain(own.TrustedProxies, "10.1.2.3") || proxiesContain(own.TrustedProxies, "104.22.17.40") {
		t.Fatalf("TRUSTED_PROXIES=10.0.0.0/8 on Render gave %v", own.TrustedProxies)
	}
}

func TestHTTPBadValues(t *testing.T) {
	for key, value := range map[string]string{
		"HTTP_READ_HEADER_TIMEOUT": "0", "HTTP_BODY_TIMEOUT": "soon", "HTTP_WRITE_TIMEOUT": "-1s",
		"MAX_JSON_BODY_KB": "0", "UPLOAD_MIN_RATE": "fast", "UPLOAD_RATE_WINDOW": "0",
		"MAX_CONNECTIONS": "-1", "MAX_CONNECTIONS_PER_IP": "many", "TRUSTED_PROXIES": "10.0.0.0/8,proxy.example",
	} {
		if _, err := load(t, map[string]string{key: value}); err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%s=%q: error %v, want one naming %s", key, value, err, key)
		}
	}
}

func proxiesContain(ps []netip.Prefix, addr string) bool {
	a := netip.MustParseAddr(addr)
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
