package handlers

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestDocsAssetMatchesPin checks the embedded Redoc bundle against the sum
// recorded next to it and the one pinned in scripts/update-docs-assets.sh, so a
// hand-edited or half-updated bundle fails.
func TestDocsAssetMatchesPin(t *testing.T) {
	body, err := docsAssets.ReadFile(redocAssetPath)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(body)
	got := hex.EncodeToString(sum[:])

	sums, err := docsAssets.ReadFile("docs_assets/SHA256SUMS")
	if err != nil {
		t.Fatal(err)
	}
	recorded := ""
	sc := bufio.NewScanner(strings.NewReader(string(sums)))
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 2 && strings.TrimPrefix(f[1], "*") == "redoc.standalone.js" {
			recorded = f[0]
		}
	}
	if recorded != got {
		t.Errorf("embedded bundle sha256 %s, SHA256SUMS records %q", got, recorded)
	}

	script, err := os.ReadFile("../scripts/update-docs-assets.sh")
	if err != nil {
		t.Fatal(err)
	}
	pin := regexp.MustCompile(`REDOC_SHA256-([0-9a-f]{64})`).FindSubmatch(script)
	if pin == nil || string(pin[1]) != got {
		t.Errorf("script pins %q, embedded bundle is %s", pin, got)
	}
	version, _ := docsAssets.ReadFile("docs_assets/REDOC_VERSION")
	if !strings.Contains(string(script), "REDOC_VERSION="+strings.TrimSpace(string(version))+"\n") {
		t.Errorf("REDOC_VERSION file %q does not match the script", version)
	}
}

func TestDocsPage(t *testing.T) {
	h := opsServer(t, Deps{})
	for _, path := range []string{"/docs", "/docs/"} {
		r := opsGet(t, h, path, nil)
		if r.code != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
			t.Fatalf("%s: %d %s", path, r.code, r.header.Get("Content-Type"))
		}
		page := string(r.body)
		if !strings.Contains(page, `spec-url="/openapi.json"`) || !strings.Contains(page, `src="/docs/redoc.standalone.js"`) {
			t.Errorf("page does not load the local bundle and spec:\n%s", page)
		}
		if strings.Contains(page, "http://") || strings.Contains(page, "https://") {
			t.Error("docs page refers to an external URL (no CDN allowed)")
		}
	}
}

func TestDocsBundleServedWithETag(t *testing.T) {
	h := opsServer(t, Deps{})
	r := opsGet(t, h, "/docs/redoc.standalone.js", nil)
	if r.code != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/javascript") || len(r.body) < 500_000 {
		t.Fatalf("bundle: %d %s %d bytes", r.code, r.header.Get("Content-Type"), len(r.body))
	}
	etag := r.header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	again := opsGet(t, h, "/docs/redoc.standalone.js", map[string]string{"If-None-Match": etag})
	if again.code != 304 || len(again.body) != 0 {
		t.Errorf("revalidation: %d with %d bytes, want 304 and no body", again.code, len(again.body))
	}
	other := opsGet(t, h, "/docs/redoc.standalone.js", map[string]string{"If-None-Match": `"stale"`})
	if other.code != 200 {
		t.Errorf("stale ETag: %d, want 200", other.code)
	}
}
