package config

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// HTTP bounds what one client can make the server hold at its HTTP edge
// (package edge): how big a body may be, how long a client may take to send
// it or to read an answer, and how many connections it may keep open.
type HTTP struct {
	// ReadHeaderTimeout is the time a client has to send a request's headers
	// (HTTP_READ_HEADER_TIMEOUT, default 10s).
	ReadHeaderTimeout time.Duration
	// BodyTimeout is the time a client has to send a whole REST or Socket.IO
	// polling body (HTTP_BODY_TIMEOUT, default 30s). Uploads keep a minimum
	// rate instead.
	BodyTimeout time.Duration
	// WriteTimeout bounds each write of an answer (REST, polling, a piece of
	// a file download); handling time before it is not counted
	// (HTTP_WRITE_TIMEOUT, default 60s).
	WriteTimeout time.Duration
	// MaxJSONBody is the largest body of a REST route other than the uploads
	// (MAX_JSON_BODY_KB, default 64 KiB, or more when MAX_MESSAGE_LENGTH needs it).
	MaxJSONBody int64
	// UploadMinRate is the slowest an upload body may arrive, in bytes a
	// second averaged over UploadRateWindow (UPLOAD_MIN_RATE, default 1024).
	UploadMinRate int64
	// UploadRateWindow is how long an upload may fall behind UploadMinRate
	// (or stall) before it is cut (UPLOAD_RATE_WINDOW, default 30s).
	UploadRateWindow time.Duration
	// MaxConns caps open connections in total (MAX_CONNECTIONS, default
	// 10000; 0 = no cap).
	MaxConns int
	// MaxConnsPerIP caps one client address's open connections, and its
	// requests in flight through a trusted proxy (MAX_CONNECTIONS_PER_IP,
	// default 256; 0 = no cap).
	MaxConnsPerIP int
	// TrustedProxies are the peers whose X-Forwarded-For names the client
	// (TRUSTED_PROXIES: comma list of CIDRs or addresses, "none" for none;
	// default on Render the private ranges and Cloudflare's, none elsewhere).
	TrustedProxies []netip.Prefix
}

// Defaults of the HTTP edge.
const (
	DefaultMaxJSONBody   = 64 << 10
	DefaultMaxConns      = 10000
	DefaultMaxConnsPerIP = 256
)

// privateRanges are where Render's proxy (and the other instances) connect from.
var privateRanges = []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"}

// cloudflareRanges are Cloudflare's published edge addresses
// (https://www.cloudflare.com/ips/: the lists at /ips-v4 and /ips-v6). On Render a
// request may come through Cloudflare and then Render's proxy, each appending
// to X-Forwarded-For; trusting both, the rightmost untrusted entry is the real
// client with or without Cloudflare in front. Cloudflare changes the list
// rarely; operators can override it (and everything else) with TRUSTED_PROXIES.
var cloudflareRanges = []string{
	"173.245.48.0/20", "103.21.244.0/22", "103.22.200.0/22", "103.31.4.0/22", "141.101.64.0/18",
	"108.162.192.0/18", "190.93.240.0/20", "188.114.96.0/20", "197.234.240.0/22", "198.41.128.0/17",
	"162.158.0.0/15", "104.16.0.0/13", "104.24.0.0/14", "172.64.0.0/13", "131.0.72.0/22",
	"2400:cb00::/32", "2606:4700::/32", "2803:f800::/32", "2405:b500::/32", "2405:8100::/32",
	"2a06:98c0::/29", "2c0f:f248::/32",
}

func loadHTTP(e *env, maxMessageLength int, onRender bool) (HTTP, error) {
	var h HTTP
	var err error
	if h.ReadHeaderTimeout, err = e.duration("HTTP_READ_HEADER_TIMEOUT", 10*time.Second); err != nil {
		return HTTP{}, err
	}
	if h.BodyTimeout, err = e.duration("HTTP_BODY_TIMEOUT", 30*time.Second); err != nil {
		return HTTP{}, err
	}
	if h.WriteTimeout, err = e.duration("HTTP_WRITE_TIMEOUT", 60*time.Second); err != nil {
		return HTTP{}, err
	}
	// The longest message, every character escaped as \uXXXX, must always fit.
	jsonKB := max(DefaultMaxJSONBody, 6*maxMessageLength+4096) >> 10
	kb, err := e.positiveInt("MAX_JSON_BODY_KB", jsonKB)
	if err != nil {
		return HTTP{}, err
	}
	h.MaxJSONBody = int64(kb) << 10
	rate, err := e.positiveInt("UPLOAD_MIN_RATE", 1024)
	if err != nil {
		return HTTP{}, err
	}
	h.UploadMinRate = int64(rate)
	if h.UploadRateWindow, err = e.duration("UPLOAD_RATE_WINDOW", 30*time.Second); err != nil {
		return HTTP{}, err
	}
	if h.MaxConns, err = e.nonNegativeInt("MAX_CONNECTIONS", DefaultMaxConns); err != nil {
		return HTTP{}, err
	}
	if h.MaxConnsPerIP, err = e.nonNegativeInt("MAX_CONNECTIONS_PER_IP", DefaultMaxConnsPerIP); err != nil {
		return HTTP{}, err
	}
	proxies := e.get("TRUSTED_PROXIES")
	if proxies == "" && onRender {
		proxies = strings.Join(append(append([]string{}, privateRanges...), cloudflareRanges...), ",")
	}
	if h.TrustedProxies, err = parseProxies(proxies); err != nil {
		return HTTP{}, err
	}
	return h, nil
}

// parseProxies reads a comma list of CIDRs or single addresses.
func parseProxies(v string) ([]netip.Prefix, error) {
	if v == "" || strings.EqualFold(v, "none") {
		return nil, nil
	}
	var out []netip.Prefix
	for _, item := range strings.Split(v, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if p, err := netip.ParsePrefix(item); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(item)
		if err != nil {
			return nil, fmt.Errorf("config: TRUSTED_PROXIES: %q is not an address or CIDR", item)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}
