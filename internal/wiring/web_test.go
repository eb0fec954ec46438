package wiring

import (
	"strings"
	"testing"

	"github.com/izpochat/server/config"
)

func TestWireWebClientFollowsTheSwitch(t *testing.T) {
	off, err := wireWebClient(config.Config{WebClient: false})
	if err != nil || off != nil {
		t.Fatalf("WEB_CLIENT=off: %v %v, want no client", off, err)
	}
	on, err := wireWebClient(config.Config{WebClient: true, Supabase: config.Supabase{URL: "https://proj.supabase.co"}})
	if err != nil || on == nil {
		t.Fatalf("on: %v %v", on, err)
	}
	// Files kept on Supabase are shown from its origin.
	if !strings.Contains(on.CSP(), "img-src 'self' https://proj.supabase.co") {
		t.Errorf("CSP %q does not allow the file store's images", on.CSP())
	}
}
