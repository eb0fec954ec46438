package handlers

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/izpochat/server/chat"
	"github.com/izpochat/server/web"
)

var ginParam = regexp.MustCompile(`[:*]([A-Za-z_]+)`)

// openAPIPath turns a gin pattern into OpenAPI form: /api/rooms/:id → /api/rooms/{id}.
func openAPIPath(ginPath string) string { return ginParam.ReplaceAllString(ginPath, "{$1}") }

// ignoredRoute reports routes the REST document does not describe.
func ignoredRoute(method, path string) bool {
	return method == http.MethodOptions || strings.HasPrefix(path, "/socket.io/") || strings.HasPrefix(path, "/uploads/")
}

// allDeps turns every optional door on, so every route is registered.
func allDeps() Deps {
	client, err := web.New(web.Options{})
	if err != nil {
		panic(err)
	}
	return Deps{SocketIO: http.NotFoundHandler(), RawWS: http.NotFoundHandler(), Metrics: http.NotFoundHandler(),
		Uploads: &chat.Uploads{}, Objects: noObjects{}, WebClient: client}
}

// noObjects stands in for local file storage where no file is served.
type noObjects struct{ http.Handler }

func (noObjects) Verify(string, url.Values, time.Time) bool { return false }

func servedDocument(t *testing.T) map[string]any {
	t.Helper()
	r := opsGet(t, opsServer(t, allDeps()), "/openapi.json", nil)
	if r.code != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Fatalf("/openapi.json: %d %s", r.code, r.header.Get("Content-Type"))
	}
	var doc map[string]any
	if err := json.Unmarshal(r.body, &doc); err != nil {
		t.Fatalf("document is not JSON: %v", err)
	}
	return doc
}

func TestOpenAPIMatchesRoutes(t *testing.T) {
	doc := servedDocument(t)
	documented := map[string]bool{}
	for path, item := range doc["paths"].(map[string]any) {
		for method := range item.(map[string]any) {
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}

	routed := map[string]bool{}
	for _, r := range Routes(allDeps()) {
		if ignoredRoute(r.Method, r.Path) {
			continue
		}
		routed[r.Method+" "+openAPIPath(r.Path)] = true
	}
	if len(routed) < 30 {
		t.Fatalf("only %d routes found; Routes() is not seeing the service", len(routed))
	}

	var missing, phantom []string
	for key := range routed {
		if !documented[key] {
			missing = append(missing, key)
		}
	}
	for key := range documented {
		if !routed[key] {
			phantom = append(phantom, key)
		}
	}
	sort.Strings(missing)
	sort.Strings(phantom)
	if len(missing) > 0 {
		t.Errorf("routes missing from /openapi.json: %v", missing)
	}
	if len(phantom) > 0 {
		t.Errorf("/openapi.json names routes that do not exist: %v", phantom)
	}
}

func TestOpenAPIPathConversion(t *testing.T) {
	for in, want := range map[string]string{
		"/api/rooms/:id/messages":       "/api/rooms/{id}/messages",
		"/api/users/username/:username": "/api/users/username/{username}",
		"/api/ws/:room_id":              "/api/ws/{room_id}",
		"/health":                       "/health",
	} {
		if got := openAPIPath(in); got != want {
			t.Errorf("openAPIPath(%q) = %q, want %q", in, got, want)
		}
	}
	if !ignoredRoute("GET", "/socket.io/*any") || !ignoredRoute("OPTIONS", "/api/rooms") || ignoredRoute("GET", "/api/rooms") {
		t.Error("ignoredRoute is wrong")
	}
}

// TestOpenAPIDocument checks the shape a viewer relies on: version, the
// contract's schemas, bearer auth, resolvable $refs and declared path params.
func TestOpenAPIDocument(t *testing.T) {
	doc := servedDocument(t)
	if doc["openapi"] != "3.1.0" {
		t.Errorf("openapi = %v", doc["openapi"])
	}
	if v := doc["info"].(map[string]any)["version"]; v != "v-test" {
		t.Errorf("info.version = %v, want the build version", v)
	}
	components := doc["components"].(map[string]any)
	schemas := components["schemas"].(map[string]any)
	for _, name := range []string{"User", "UserSelf", "Room", "Message", "File", "Error"} {
		if _, ok := schemas[name]; !ok {
			t.Errorf("schema %s missing", name)
		}
	}
	bearer := components["securitySchemes"].(map[string]any)["bearerAuth"].(map[string]any)
	if bearer["type"] != "http" || bearer["scheme"] != "bearer" {
		t.Errorf("bearerAuth = %v", bearer)
	}
	wantFields := map[string][]string{
		"Message": {"id", "content", "user_id", "username", "room_id", "created_at", "file_url", "file_id", "sender", "sender_id", "room"},
		"Room":    {"id", "name", "description", "is_private", "created_at", "created_by", "creator", "member_count", "members", "owner_id", "owner", "updated_at"},
		"File":    {"id", "filename", "original_filename", "file_size", "content_type", "file_url", "public_url", "user_id", "room_id", "created_at"},
		"User":    {"id", "username", "full_name", "created_at"},
	}
	for name, fields := range wantFields {
		props := schemas[name].(map[string]any)["properties"].(map[string]any)
		for _, f := range fields {
			if _, ok := props[f]; !ok {
				t.Errorf("%s lacks %s", name, f)
			}
		}
	}
	if _, ok := schemas["User"].(map[string]any)["properties"].(map[string]any)["email"]; ok {
		t.Error("User (others) must not show email")
	}

	// Every $ref points at something that exists.
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if r, ok := v["$ref"].(string); ok {
				parts := strings.Split(strings.TrimPrefix(r, "#/"), "/")
				var cur any = doc
				for _, p := range parts {
					m, _ := cur.(map[string]any)
					cur = m[p]
				}
				if cur == nil {
					t.Errorf("unresolved $ref %s", r)
				}
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(doc)

	// Every {param} of a path is declared, protected routes name the scheme,
	// and operation ids are unique.
	ids := map[string]bool{}
	for path, item := range doc["paths"].(map[string]any) {
		want := regexp.MustCompile(`\{([a-z_]+)\}`).FindAllStringSubmatch(path, -1)
		for method, raw := range item.(map[string]any) {
			op := raw.(map[string]any)
			var declared []string
			params, _ := op["parameters"].([]any)
			for _, p := range params {
				if pm := p.(map[string]any); pm["in"] == "path" {
					declared = append(declared, pm["name"].(string))
				}
			}
			for _, w := range want {
				if !slices.Contains(declared, w[1]) {
					t.Errorf("%s %s: path parameter %s not declared", method, path, w[1])
				}
			}
			id := op["operationId"].(string)
			if ids[id] {
				t.Errorf("duplicate operationId %s", id)
			}
			ids[id] = true
			if _, ok := op["responses"].(map[string]any); !ok {
				t.Errorf("%s %s has no responses", method, path)
			}
		}
	}
	me := doc["paths"].(map[string]any)["/api/users/me"].(map[string]any)["get"].(map[string]any)
	if _, ok := me["security"]; !ok {
		t.Error("GET /api/users/me does not require bearer auth")
	}
	if _, ok := me["responses"].(map[string]any)["401"]; !ok {
		t.Error("GET /api/users/me does not document its 401")
	}
}
