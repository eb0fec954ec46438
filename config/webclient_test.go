package config

import (
	"strings"
	"testing"
)

func TestWebClientSwitch(t *testing.T) {
	for value, want := range map[string]bool{"": true, "on": true, "TRUE": true, "1": true, "off": false, " Off ": false, "false": false, "0": false, "no": false} {
		cfg := mustLoad(t, map[string]string{"WEB_CLIENT": value})
		if cfg.WebClient != want {
			t.Errorf("WEB_CLIENT=%q: WebClient = %v, want %v", value, cfg.WebClient, want)
		}
	}
}

func TestWebClientSwitchRefusesTypos(t *testing.T) {
	_, err := load(t, map[string]string{"WEB_CLIENT": "of"})
	if err == nil || !strings.Contains(err.Error(), "WEB_CLIENT") {
		t.Fatalf("WEB_CLIENT=of: err = %v, want one naming WEB_CLIENT", err)
	}
}
