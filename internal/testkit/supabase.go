package testkit

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
)

// SupabaseKey is the service-role key FakeSupabase accepts (as Bearer and apikey).
const SupabaseKey = "service-role-key"

// FakeSupabase speaks the part of the Supabase Storage REST API the server
// uses: upload (POST /storage/v1/object/<bucket>/<path>), download (GET, the
// same path; a missing object is 400 with statusCode "404"), delete (DELETE
// /storage/v1/object/<bucket> with {prefixes}) and sign (POST
// /storage/v1/object/sign/<bucket> with {expiresIn, paths}). The fault fields
// are set before the first request.
type FakeSupabase struct {
	URL string // the server's base URL (no trailing slash)

	Status int           // answer uploads with this status when non-zero
	Hang   chan struct{} // when set, uploads wait for it (or the client to leave)
	// HangBeforeRead hangs without reading the body (the client blocks writing).
	HangBeforeRead bool

	mu      sync.Mutex
	objects map[string]SupabaseObject // by path after /storage/v1/object/ ("<bucket>/<key>")
	deleted [][]string
	signs   []SupabaseSign
}

// SupabaseObject is one upload as it arrived.
type SupabaseObject struct {
	Method, Auth, APIKey, ContentType, Upsert string
	Body                                      []byte
}

// SupabaseSign is one signing request. Its URLs end in "?token=t<n>", n
// counting the signing requests from 1.
type SupabaseSign struct {
	Bucket    string
	ExpiresIn int
	Paths     []string
	Body      string // as sent
}

// StartFakeSupabase serves a FakeSupabase on loopback until the test ends.
func StartFakeSupabase(t testing.TB) *FakeSupabase {
	t.Helper()
	f := &FakeSupabase{objects: map[string]SupabaseObject{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

// Object is the upload stored at "<bucket>/<key>".
func (f *FakeSupabase) Object(path string) (SupabaseObject, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	o, ok := f.objects[path]
	return o, ok
}

// Objects lists the paths of every stored upload.
func (f *FakeSupabase) Objects() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Sorted(maps.Keys(f.objects))
}

// Deleted is the prefixes of each delete request, in order.
func (f *FakeSupabase) Deleted() [][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.deleted)
}

// Signs is every signing request, in order.
func (f *FakeSupabase) Signs() []SupabaseSign {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.signs)
}

func (f *FakeSupabase) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+SupabaseKey || r.Header.Get("apikey") != SupabaseKey {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"statusCode":"401","error":"Unauthorized","message":"bad key"}`)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/storage/v1/object/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	if bucket, ok := strings.CutPrefix(rest, "sign/"); ok && r.Method == http.MethodPost {
		f.sign(w, r, bucket)
		return
	}
	switch r.Method {
	case http.MethodPost:
		f.upload(w, r, rest)
	case http.MethodGet: // the authenticated download
		f.download(w, r, rest)
	case http.MethodDelete:
		var req struct{ Prefixes []string }
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.deleted = append(f.deleted, req.Prefixes)
		f.mu.Unlock()
		fmt.Fprint(w, `[]`)
	default:
		w.WriteHeader(http.StatusMethodNotAllowed)
	}
}

func (f *FakeSupabase) sign(w http.ResponseWriter, r *http.Request, bucket string) {
	body, _ := io.ReadAll(r.Body)
	var req struct {
		ExpiresIn int      `json:"expiresIn"`
		Paths     []string `json:"paths"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.signs = append(f.signs, SupabaseSign{Bucket: bucket, ExpiresIn: req.ExpiresIn, Paths: req.Paths, Body: string(body)})
	n := len(f.signs)
	f.mu.Unlock()
	var out []map[string]any
	for _, p := range req.Paths {
		out = append(out, map[string]any{"path": p, "error": nil,
			"signedURL": fmt.Sprintf("/object/sign/%s/%s?token=t%d", bucket, p, n)})
	}
	_ = json.NewEncoder(w).Encode(out)
}

func (f *FakeSupabase) upload(w http.ResponseWriter, r *http.Request, path string) {
	if f.Hang != nil && f.HangBeforeRead {
		f.wait(r)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	if f.Hang != nil {
		f.wait(r)
		return
	}
	if f.Status != 0 {
		w.WriteHeader(f.Status)
		fmt.Fprintf(w, `{"statusCode":"%d","error":"Error","message":"bucket says no"}`, f.Status)
		return
	}
	f.mu.Lock()
	f.objects[path] = SupabaseObject{Method: r.Method, Auth: r.Header.Get("Authorization"), APIKey: r.Header.Get("apikey"),
		ContentType: r.Header.Get("Content-Type"), Upsert: r.Header.Get("x-upsert"), Body: body}
	f.mu.Unlock()
	fmt.Fprintf(w, `{"Key":%q}`, path)
}

func (f *FakeSupabase) download(w http.ResponseWriter, r *http.Request, path string) {
	if f.Hang != nil {
		f.wait(r)
		return
	}
	if f.Status != 0 {
		w.WriteHeader(f.Status)
		fmt.Fprintf(w, `{"statusCode":"%d","error":"Error","message":"bucket says no"}`, f.Status)
		return
	}
	obj, ok := f.Object(path)
	if !ok {
		w.WriteHeader(http.StatusBadRequest) // as Supabase answers a missing object
		fmt.Fprint(w, `{"statusCode":"404","error":"not_found","message":"Object not found"}`)
		return
	}
	_, _ = w.Write(obj.Body)
}

func (f *FakeSupabase) wait(r *http.Request) {
	select {
	case <-f.Hang:
	case <-r.Context().Done():
	}
}
