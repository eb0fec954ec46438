package handlers

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestIndexJSON(t *testing.T) {
	h := opsServer(t, Deps{})
	for _, accept := range []string{"", "application/json", "*/*"} {
		r := opsGet(t, h, "/", map[string]string{"Accept": accept})
		if r.code != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
			t.Fatalf("Accept %q: %d %s", accept, r.code, r.header.Get("Content-Type"))
		}
		var body struct {
			Name, Version string
			Links         map[string]string
			SocketIOPath  string `json:"socketio_path"`
		}
		if err := json.Unmarshal(r.body, &body); err != nil {
			t.Fatal(err)
		}
		if body.Name != "IzpoChat" || body.Version != "v-test" || body.SocketIOPath != "/socket.io/" {
			t.Errorf("body %s", r.body)
		}
		for name, path := range map[string]string{"docs": "/docs", "health": "/health", "openapi": "/openapi.json", "socketio": "/socket.io/"} {
			if body.Links[name] != path {
				t.Errorf("links[%s] = %q, want %q", name, body.Links[name], path)
			}
		}
	}
}

func TestIndexHTMLForBrowsers(t *testing.T) {
	h := opsServer(t, Deps{})
	browser := "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	r := opsGet(t, h, "/", map[string]string{"Accept": browser})
	if r.code != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
		t.Fatalf("%d %s", r.code, r.header.Get("Content-Type"))
	}
	page := string(r.body)
	for _, want := range []string{`href="/docs"`, `href="/health"`, `href="/openapi.json"`, `href="/socket.io/"`, "v-test", "<!DOCTYPE html>"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

func TestIndexEscapesVersion(t *testing.T) {
	h := opsServer(t, Deps{Config: configWithVersion("<script>x</script>")})
	r := opsGet(t, h, "/", map[string]string{"Accept": "text/html"})
	if strings.Contains(string(r.body), "<script>x") {
		t.Error("version is not HTML-escaped")
	}
}
