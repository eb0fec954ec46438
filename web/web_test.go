package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func newClient(t *testing.T, o Options) *Client {
	t.Helper()
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func get(h http.HandlerFunc, target string, header map[string]string) *http.Response {
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h(rec, req)
	return rec.Result()
}

func body(t *testing.T, r *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// assetRefs are the page's script and stylesheet URLs.
var assetRefs = regexp.MustCompile(`(?:src|href)="(/app/[^"]+)"`)

func TestPageNamesHashedAssetsThatAreServed(t *testing.T) {
	c := newClient(t, Options{Version: "v1"})
	r := get(c.ServeIndex, "/", nil)
	page := body(t, r)
	refs := assetRefs.FindAllStringSubmatch(page, -1)
	if len(refs) < 3 {
		t.Fatalf("page names %d assets, want the script, the stylesheet and the icon:\n%s", len(refs), page)
	}
	if !regexp.MustCompile(`^/app/[0-9a-f]{16}/$`).MatchString(c.AssetPrefix()) {
		t.Fatalf("prefix %q carries no content hash", c.AssetPrefix())
	}
	for _, ref := range refs {
		a := get(c.ServeAsset, ref[1], nil)
		if a.StatusCode != 200 {
			t.Errorf("%s: %d", ref[1], a.StatusCode)
		}
		if cc := a.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") || !strings.Contains(cc, "max-age=31536000") {
			t.Errorf("%s: Cache-Control %q, want a year and immutable (the path changes with the content)", ref[1], cc)
		}
		if a.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no nosniff", ref[1])
		}
	}
	js := get(c.ServeAsset, c.AssetPrefix()+"app.js", nil)
	if ct := js.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") {
		t.Errorf("app.js Content-Type %q: a module script needs a JavaScript type", ct)
	}
	css := get(c.ServeAsset, c.AssetPrefix()+"style.css", nil)
	if ct := css.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
		t.Errorf("style.css Content-Type %q", ct)
	}
}

func TestOtherBuildsAndUnknownAssetsAre404(t *testing.T) {
	c := newClient(t, Options{})
	for _, p := range []string{"/app/0000000000000000/app.js", c.AssetPrefix() + "nope.js", c.AssetPrefix() + "index.html", c.AssetPrefix() + "../web.go", "/app/"} {
		r := get(c.ServeAsset, p, nil)
		if b := body(t, r); r.StatusCode != 404 || b != `{"error":"not found","detail":"not found"}` {
			t.Errorf("%s: %d %s, want the contract's 404", p, r.StatusCode, b)
		}
	}
}

func TestPageIsRevalidatedEveryTime(t *testing.T) {
	c := newClient(t, Options{Version: "v1"})
	r := get(c.ServeIndex, "/", nil)
	if r.StatusCode != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("%d %s", r.StatusCode, r.Header.Get("Content-Type"))
	}
	if cc := r.Header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("Cache-Control %q, want no-cache (a deploy takes effect on the next load)", cc)
	}
	if r.Header.Get("Vary") != "Accept" {
		t.Errorf("Vary %q, want Accept (the same URL answers JSON to programs)", r.Header.Get("Vary"))
	}
	etag := r.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	again := get(c.ServeIndex, "/", map[string]string{"If-None-Match": etag})
	if again.StatusCode != http.StatusNotModified || body(t, again) != "" {
		t.Errorf("revalidation with the same ETag: %d, want 304 and no body", again.StatusCode)
	}
	stale := get(c.ServeIndex, "/", map[string]string{"If-None-Match": `"old"`})
	if stale.StatusCode != 200 {
		t.Errorf("revalidation with an old ETag: %d, want 200", stale.StatusCode)
	}
	// Another build's page has another ETag (the version is in the page).
	other := get(newClient(t, Options{Version: "v2"}).ServeIndex, "/", nil)
	if other.Header.Get("ETag") == etag {
		t.Error("two versions share an ETag")
	}
}

func TestStrictContentSecurityPolicy(t *testing.T) {
	c := newClient(t, Options{MediaOrigins: []string{"https://abc.supabase.co/", "javascript:alert(1)", "https://x.example; script-src *"}})
	r := get(c.ServeIndex, "/", nil)
	csp := r.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "img-src 'self' https://abc.supabase.co blob: data:"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP lacks %q: %s", want, csp)
		}
	}
	for _, bad := range []string{"unsafe-inline", "unsafe-eval", "javascript:", "script-src *", "x.example"} {
		if strings.Contains(csp, bad) {
			t.Errorf("CSP contains %q: %s", bad, csp)
		}
	}
	// No inline code for the policy to refuse: every script and style is a file.
	page := body(t, r)
	if regexp.MustCompile(`<script(?:\s[^>]*)?>[^<]`).MatchString(page) || strings.Contains(page, "<style") || regexp.MustCompile(`\son[a-z]+=`).MatchString(page) || strings.Contains(page, "style=") {
		t.Errorf("page has inline script or style:\n%s", page)
	}
}

func TestEmbeddedScriptsUseNoHTMLSinks(t *testing.T) {
	// User text goes into the page as text nodes only; these sinks would parse it as HTML.
	for _, name := range []string{"app.js", "dom.js", "messages.js", "api.js", "live.js"} {
		src, err := static.ReadFile("static/" + name)
		if err != nil {
			t.Fatal(err)
		}
		for _, sink := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"} {
			if strings.Contains(string(src), sink) {
				t.Errorf("%s uses %s", name, sink)
			}
		}
	}
}

func TestPageEscapesVersion(t *testing.T) {
	c := newClient(t, Options{Version: `"><script>alert(1)</script>`})
	if page := body(t, get(c.ServeIndex, "/", nil)); strings.Contains(page, "<script>alert") {
		t.Error("version is not escaped in the page")
	}
}
