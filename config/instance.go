package config

import (
	"net"
	"strconv"
	"time"
)

// DefaultPresenceTTL is how long a silent instance still counts as alive.
const DefaultPresenceTTL = 30 * time.Second

// loadInstance reads how peers reach this instance and how fast a dead one is forgotten.
func loadInstance(e *env, cfg *Config) error {
	var err error
	if cfg.PresenceTTL, err = e.duration("PRESENCE_TTL", DefaultPresenceTTL); err != nil {
		return err
	}
	if cfg.PresenceTTL < 3*time.Second {
		return invalid("PRESENCE_TTL", e.get("PRESENCE_TTL"), "at least 3s")
	}
	if v := e.get("INSTANCE_ADDR"); v != "" {
		host, port, err := net.SplitHostPort(v)
		if n, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
			return invalid("INSTANCE_ADDR", v, "host:port")
		}
		cfg.InstanceAddr = v
		return nil
	}
	host, ok := firstNonLoopbackIPv4()
	if !ok {
		host = "127.0.0.1"
		e.warnings = append(e.warnings, "INSTANCE_ADDR: no non-loopback IPv4 address found; other hosts cannot reach "+
			"this instance for Socket.IO polling sessions (set INSTANCE_ADDR when running several hosts)")
	}
	cfg.InstanceAddr = net.JoinHostPort(host, strconv.Itoa(cfg.Port))
	return nil
}

// firstNonLoopbackIPv4 is the host's first IPv4 address that is neither loopback
// nor link-local: on Render and in containers, the private network address.
func firstNonLoopbackIPv4() (string, bool) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return "", false
	}
	for _, a := range addrs {
		ipNet, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		ip := ipNet.IP.To4()
		if ip == nil || ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsUnspecified() {
			continue
		}
		return ip.String(), true
	}
	return "", false
}
