package storage

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// Check asks for the bucket with the service key; a missing bucket or a
// refused key fails it.
func TestSupabaseCheckAsksForTheBucket(t *testing.T) {
	var asked []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked = append(asked, r.Method+" "+r.URL.Path)
		switch {
		case r.Header.Get("Authorization") != "Bearer "+fakeKey || r.Header.Get("apikey") != fakeKey:
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"statusCode":"401","error":"Unauthorized","message":"bad key"}`))
		case r.Method == http.MethodGet && r.URL.Path == "/storage/v1/bucket/izpochat-bucket":
			w.Write([]byte(`{"id":"izpochat-bucket","name":"izpochat-bucket","public":true}`))
		default:
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"statusCode":"404","error":"Bucket not found","message":"Bucket not found"}`))
		}
	}))
	defer srv.Close()
	s, _ := NewSupabase(SupabaseConfig{URL: srv.URL, Key: fakeKey, Bucket: "izpochat-bucket", Timeout: 5 * time.Second})
	if err := s.Check(context.Background()); err != nil || len(asked) != 1 || asked[0] != "GET /storage/v1/bucket/izpochat-bucket" {
		t.Fatalf("healthy: %v, asked %v", err, asked)
	}
	missing, _ := NewSupabase(SupabaseConfig{URL: srv.URL, Key: fakeKey, Bucket: "gone", Timeout: 5 * time.Second})
	if err := missing.Check(context.Background()); !errors.Is(err, ErrUpstream) || !strings.Contains(err.Error(), "404") {
		t.Fatalf("missing bucket: %v", err)
	}
	wrong, _ := NewSupabase(SupabaseConfig{URL: srv.URL, Key: "wrong", Bucket: "izpochat-bucket", Timeout: 5 * time.Second})
	if err := wrong.Check(context.Background()); !errors.Is(err, ErrUpstream) {
		t.Fatalf("wrong key: %v", err)
	}
}
