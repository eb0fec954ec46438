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

// Files kept on GCS or S3 (and their signed links) are shown from the store's origins.
func TestWebClientAllowsTheConfiguredStore(t *testing.T) {
	for name, tc := range map[string]struct {
		cfg  config.Config
		want string
	}{
		"gcs":    {config.Config{GCS: config.GCS{Bucket: "b"}}, "https://storage.googleapis.com"},
		"s3 aws": {config.Config{S3: config.S3{Bucket: "b", Region: "eu-west-1"}}, "https://*.amazonaws.com"},
		"s3 r2": {config.Config{S3: config.S3{Bucket: "b", Endpoint: "https://acc.r2.cloudflarestorage.com", PublicURL: "https://files.example.com"}},
			"https://files.example.com"},
	} {
		tc.cfg.WebClient = true
		c, err := wireWebClient(tc.cfg)
		if err != nil || c == nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !strings.Contains(c.CSP(), tc.want) {
			t.Errorf("%s: CSP %q does not allow %s", name, c.CSP(), tc.want)
		}
	}
}
