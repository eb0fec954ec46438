package handlers

import (
	"regexp"
	"strings"
	"testing"

	"github.com/izpochat/server/config"
	"github.com/izpochat/server/web"
)

const browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

func webClientServer(t *testing.T) (*web.Client, Deps) {
	t.Helper()
	c, err := web.New(web.Options{Version: "v-test"})
	if err != nil {
		t.Fatal(err)
	}
	return c, Deps{Config: config.Config{Version: "v-test", WebClient: true}, WebClient: c}
}

func TestIndexServesWebClientToBrowsers(t *testing.T) {
	c, d := webClientServer(t)
	h := opsServer(t, d)
	r := opsGet(t, h, "/", map[string]string{"Accept": browserAccept})
	if r.code != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
		t.Fatalf("%d %s", r.code, r.header.Get("Content-Type"))
	}
	page := string(r.body)
	if !strings.Contains(page, `src="`+c.AssetPrefix()+`app.js"`) || !strings.Contains(page, `aria-label="Message"`) {
		t.Fatalf("browser did not get the web client:\n%s", page)
	}
	if got := r.header.Get("Content-Security-Policy"); got != c.CSP() || !strings.Contains(got, "script-src 'self'") {
		t.Errorf("CSP %q", got)
	}
	if r.header.Get("Cache-Control") != "no-cache" || r.header.Get("ETag") == "" {
		t.Errorf("Cache-Control %q ETag %q", r.header.Get("Cache-Control"), r.header.Get("ETag"))
	}
	if r.header.Get("Vary") != "Accept" {
		t.Errorf("Vary %q", r.header.Get("Vary"))
	}
	// The same page revalidates to 304 through the router.
	again := opsGet(t, h, "/", map[string]string{"Accept": browserAccept, "If-None-Match": r.header.Get("ETag")})
	if again.code != 304 {
		t.Errorf("If-None-Match: %d, want 304", again.code)
	}
	// Its assets are served through the router, also with a trailing slash trimmed.
	for _, ref := range regexp.MustCompile(`(?:src|href)="(/app/[^"]+)"`).FindAllStringSubmatch(page, -1) {
		if a := opsGet(t, h, ref[1], nil); a.code != 200 || a.header.Get("Content-Security-Policy") == "" {
			t.Errorf("%s: %d", ref[1], a.code)
		}
	}
}

func TestIndexKeepsJSONForProgramsWithWebClientOn(t *testing.T) {
	_, d := webClientServer(t)
	h := opsServer(t, d)
	for _, accept := range []string{"", "application/json", "*/*", "application/json, text/html;q=0.5"} {
		r := opsGet(t, h, "/", map[string]string{"Accept": accept})
		if r.code != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") || !strings.Contains(string(r.body), `"socketio_path":"/socket.io/"`) {
			t.Errorf("Accept %q: %d %s %s", accept, r.code, r.header.Get("Content-Type"), r.body)
		}
		if r.header.Get("Vary") != "Accept" {
			t.Errorf("Accept %q: Vary %q", accept, r.header.Get("Vary"))
		}
	}
}

func TestWebClientOffServesLinksAndNoAssets(t *testing.T) {
	c, _ := webClientServer(t)
	h := opsServer(t, Deps{Config: config.Config{Version: "v-test"}}) // WEB_CLIENT=off: no client wired
	r := opsGet(t, h, "/", map[string]string{"Accept": browserAccept})
	if r.code != 200 || !strings.Contains(string(r.body), `href="/docs"`) || strings.Contains(string(r.body), "app.js") {
		t.Fatalf("off: %d\n%s", r.code, r.body)
	}
	if a := opsGet(t, h, c.AssetPrefix()+"app.js", nil); a.code != 404 || !strings.Contains(string(a.body), `"error"`) {
		t.Errorf("off: asset %d %s, want the contract's 404", a.code, a.body)
	}
}
