package config

import (
	"net"
	"strings"
	"testing"
	"time"
)

func TestInstanceAddrDefault(t *testing.T) {
	cfg := mustLoad(t, map[string]string{"PORT": "6123"})
	host, port, err := net.SplitHostPort(cfg.InstanceAddr)
	if err != nil || port != "6123" {
		t.Fatalf("InstanceAddr = %q (%v), want <ipv4>:6123", cfg.InstanceAddr, err)
	}
	ip := net.ParseIP(host)
	if ip == nil || ip.To4() == nil {
		t.Fatalf("InstanceAddr host %q is not an IPv4 address", host)
	}
	if want, ok := firstNonLoopbackIPv4(); ok && host != want {
		t.Errorf("InstanceAddr host = %q, want the first non-loopback IPv4 %q", host, want)
	}
	if cfg.PresenceTTL != 30*time.Second {
		t.Errorf("PresenceTTL = %v, want 30s", cfg.PresenceTTL)
	}
}

func TestInstanceAddrAndTTLOverrides(t *testing.T) {
	cfg := mustLoad(t, map[string]string{"INSTANCE_ADDR": "10.0.0.7:10000", "PRESENCE_TTL": "6"})
	if cfg.InstanceAddr != "10.0.0.7:10000" {
		t.Errorf("InstanceAddr = %q", cfg.InstanceAddr)
	}
	if cfg.PresenceTTL != 6*time.Second {
		t.Errorf("PresenceTTL = %v, want 6s", cfg.PresenceTTL)
	}
	if got := cfg.Redacted()["instance_addr"]; got != "10.0.0.7:10000" {
		t.Errorf("Redacted instance_addr = %v", got)
	}
}

func TestInstanceBadValues(t *testing.T) {
	for key, values := range map[string][]string{
		"INSTANCE_ADDR": {"10.0.0.7", ":5000", "host:0", "host:99999", "host:http"},
		"PRESENCE_TTL":  {"0", "1s", "soon"},
	} {
		for _, v := range values {
			_, err := load(t, map[string]string{key: v})
			if err == nil || !strings.Contains(err.Error(), key) {
				t.Errorf("%s=%q: err = %v, want an error naming %s", key, v, err, key)
			}
		}
	}
}
