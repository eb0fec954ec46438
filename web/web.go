// Package web is the browser client served at / (issue 24): plain HTML, CSS and
// JavaScript embedded in the binary, no build step. It owns how the client is
// served — the page, its assets under a content-hashed path, the
// Content-Security-Policy and the cache headers — and nothing of the chat: the
// client talks to the server's own REST API and raw WebSocket door.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strings"
)

//go:embed static
var static embed.FS

// Options are what the page needs from the configuration.
type Options struct {
	Version string
	// MediaOrigins are the origins uploaded files are served from besides this
	// one (the Supabase project's), allowed as image and media sources.
	MediaOrigins []string
}

// Client serves the page and its assets. It is built once; every answer is
// computed up front (page, ETag, policy), so a request only writes it.
type Client struct {
	page     []byte
	pageETag string
	prefix   string // "/app/<hash>/": where this build's assets live
	assets   map[string]asset
	csp      string
}

type asset struct {
	body        []byte
	contentType string
}

// AssetRoute is the route pattern the assets are served under (gin syntax).
const AssetRoute = "/app/*path"

// New reads the embedded files. The assets' path carries a hash of all of them,
// so a new build's page names new URLs and a browser never mixes an old
// script with a new page; the page itself is always revalidated.
func New(o Options) (*Client, error) {
	c := &Client{assets: map[string]asset{}}
	sum := sha256.New()
	var names []string
	err := fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || p == "static/index.html" {
			return err
		}
		names = append(names, p)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: list assets: %w", err)
	}
	sort.Strings(names)
	for _, p := range names {
		body, err := static.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("web: read %s: %w", p, err)
		}
		name := strings.TrimPrefix(p, "static/")
		fmt.Fprintf(sum, "%s\x00%d\x00", name, len(body))
		sum.Write(body)
		c.assets[name] = asset{body: body, contentType: contentType(name)}
	}
	hash := hex.EncodeToString(sum.Sum(nil))[:16]
	c.prefix = "/app/" + hash + "/"

	tmpl, err := template.ParseFS(static, "static/index.html")
	if err != nil {
		return nil, fmt.Errorf("web: parse page: %w", err)
	}
	version := o.Version
	if version == "" {
		version = "dev"
	}
	var page bytes.Buffer
	if err := tmpl.Execute(&page, struct{ Prefix, Version string }{c.prefix, version}); err != nil {
		return nil, fmt.Errorf("web: render page: %w", err)
	}
	c.page = page.Bytes()
	pageSum := sha256.Sum256(c.page)
	c.pageETag = `"` + hex.EncodeToString(pageSum[:12]) + `"`
	c.csp = policy(o.MediaOrigins)
	return c, nil
}

// policy is the page's Content-Security-Policy: scripts and styles only from
// files of this origin (no inline code at all), images also from blob: (a
// pasted image's preview before upload) and the file store, nothing framed.
// connect-src 'self' covers the same-origin WebSocket (CSP Level 3).
func policy(mediaOrigins []string) string {
	media := "'self'"
	for _, o := range mediaOrigins {
		if u, err := url.Parse(o); err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" &&
			!strings.ContainsAny(u.Host, " ;,'") {
			media += " " + u.Scheme + "://" + u.Host
		}
	}
	return strings.Join([]string{
		"default-src 'none'",
		"script-src 'self'",
		"style-src 'self'",
		"img-src " + media + " blob: data:",
		"media-src " + media + " blob:",
		"connect-src 'self'",
		"font-src 'self'",
		"manifest-src 'self'",
		"base-uri 'none'",
		"form-action 'self'",
		"frame-ancestors 'none'",
		"object-src 'none'",
	}, "; ")
}

// CSP is the Content-Security-Policy the page is served with.
func (c *Client) CSP() string { return c.csp }

// AssetPrefix is the path this build's assets are served under.
func (c *Client) AssetPrefix() string { return c.prefix }

func (c *Client) secure(h http.Header) {
	h.Set("Content-Security-Policy", c.csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
}

// ServeIndex writes the page. It is revalidated on every load (no-cache with an
// ETag), so a deploy takes effect on the next reload; Vary: Accept because the
// same URL answers programs with JSON.
func (c *Client) ServeIndex(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	c.secure(h)
	h.Set("Cache-Control", "no-cache")
	h.Set("Vary", "Accept")
	h.Set("ETag", c.pageETag)
	if etagMatches(r.Header.Get("If-None-Match"), c.pageETag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(c.page)
	}
}

// ServeAsset writes one asset of this build, found by the path after /app/.
// Assets of this build never change, so they are cached for a year; another
// build's path is 404 (the page that named it is gone too).
func (c *Client) ServeAsset(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	c.secure(h)
	a, ok := c.assets[strings.TrimPrefix(r.URL.Path, c.prefix)]
	if !ok || !strings.HasPrefix(r.URL.Path, c.prefix) {
		notFound(w)
		return
	}
	h.Set("Content-Type", a.contentType)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(a.body)
	}
}

// notFound answers in the contract's error shape, as every other route does.
func notFound(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusNotFound)
	_, _ = w.Write([]byte(`{"error":"not found","detail":"not found"}`))
}

func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		if t = strings.TrimSpace(t); t == etag || t == "W/"+etag || t == "*" {
			return true
		}
	}
	return false
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}
