// Package fakes3 runs a real S3 API server for tests (gofakes3 over memory, on
// loopback HTTP) behind a gate that checks every request's AWS Signature V4, in
// the Authorization header or presigned in the query, against the one key pair
// it knows, checks the payload against its signed hash, and records what each
// request carried. Faults (an error status, a hang) can be switched on.
package fakes3

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// The key pair and region the server accepts.
const (
	AccessKeyID     = "AKIAIZPOCHATTEST"
	SecretAccessKey = "izpochat-fake-s3-secret"
	Region          = "eu-west-1"
)

// Request is what one request carried, as the server saw it.
type Request struct {
	Method, Path string
	Query        url.Values
	Header       http.Header
	Host         string
	BodyLen      int
	// SignedHeaders are the headers the signature covers; Presigned says it was
	// in the query.
	SignedHeaders []string
	Presigned     bool
}

// Server is a running fake S3.
type Server struct {
	URL    string // http://127.0.0.1:port
	Bucket string

	backend gofakes3.Backend

	mu       sync.Mutex
	requests []Request
	public   bool          // unsigned GETs of objects are served (a public-read bucket)
	status   int           // when non-zero, writes are answered with it
	hang     chan struct{} // when set, writes wait for it (or the client to leave)
}

// Start runs a fake S3 with one bucket until the test ends.
func Start(t testing.TB, bucket string) *Server {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
	s := &Server{Bucket: bucket, backend: backend}
	faker := gofakes3.New(backend, gofakes3.WithLogger(gofakes3.DiscardLog()))
	srv := httptest.NewServer(s.gate(faker.Server()))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// PublicRead makes the bucket public-read: a GET without a signature reads
// an object, as a browser following a public URL does.
func (s *Server) PublicRead(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.public = on
}

// Fail answers every later write (PUT, POST) with status; 0 stops.
func (s *Server) Fail(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status = status
}

// Hang makes every later write wait, without answering, until release is closed.
func (s *Server) Hang(release chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hang = release
}

// Requests returns what every request so far carried.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Object is a stored object's bytes and headers, ok false when there is none.
func (s *Server) Object(key string) (body []byte, meta map[string]string, ok bool) {
	obj, err := s.backend.GetObject(s.Bucket, key, nil)
	if err != nil {
		return nil, nil, false
	}
	defer obj.Contents.Close()
	body, _ = io.ReadAll(obj.Contents)
	return body, obj.Metadata, true
}

// Keys lists the bucket's objects.
func (s *Server) Keys() []string {
	list, err := s.backend.ListBucket(s.Bucket, nil, gofakes3.ListBucketPage{})
	if err != nil {
		return nil
	}
	var keys []string
	for _, c := range list.Contents {
		keys = append(keys, c.Key)
	}
	return keys
}

// OpenUploads counts multipart uploads begun (POST ?uploads) and neither
// completed (POST ?uploadId) nor aborted (DELETE ?uploadId).
func (s *Server) OpenUploads() int {
	n := 0
	for _, r := range s.Requests() {
		switch {
		case r.Method == http.MethodPost && r.Query.Has("uploads"):
			n++
		case (r.Method == http.MethodPost || r.Method == http.MethodDelete) && r.Query.Has("uploadId"):
			n--
		}
	}
	return n
}

func (s *Server) gate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		rec := Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(), Host: r.Host, BodyLen: len(body)}
		signed, presigned, err := verify(r, body, time.Now())
		rec.SignedHeaders, rec.Presigned = signed, presigned
		s.mu.Lock()
		s.requests = append(s.requests, rec)
		status, hang, public := s.status, s.hang, s.public
		s.mu.Unlock()
		anonymousRead := public && r.Method == http.MethodGet && r.Header.Get("Authorization") == "" && !presigned
		if err != nil && !anonymousRead {
			writeError(w, http.StatusForbidden, "SignatureDoesNotMatch", err.Error())
			return
		}
		if r.Method == http.MethodPut || r.Method == http.MethodPost {
			if hang != nil {
				select {
				case <-hang:
				case <-r.Context().Done():
				}
				return
			}
			if status != 0 {
				writeError(w, status, "InternalError", "the fake refuses")
				return
			}
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message></Error>`, code, msg)
}

// verify checks r's SigV4 signature as S3 does, returning the signed headers.
func verify(r *http.Request, body []byte, now time.Time) (signedHeaders []string, presigned bool, err error) {
	q := r.URL.Query()
	var credential, amzDate, signature, payloadHash string
	if auth := r.Header.Get("Authorization"); auth != "" {
		rest, ok := strings.CutPrefix(auth, "AWS4-HMAC-SHA256 ")
		if !ok {
			return nil, false, fmt.Errorf("not SigV4: %q", auth)
		}
		for _, f := range strings.Split(rest, ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(f), "=")
			switch k {
			case "Credential":
				credential = v
			case "SignedHeaders":
				signedHeaders = strings.Split(v, ";")
			case "Signature":
				signature = v
			}
		}
		amzDate, payloadHash = r.Header.Get("X-Amz-Date"), r.Header.Get("X-Amz-Content-Sha256")
		if payloadHash == "" {
			return signedHeaders, false, fmt.Errorf("no x-amz-content-sha256")
		}
		if payloadHash != "UNSIGNED-PAYLOAD" {
			sum := sha256.Sum256(body)
			if hex.EncodeToString(sum[:]) != payloadHash {
				return signedHeaders, false, fmt.Errorf("the payload is not the one signed")
			}
		}
	} else if q.Get("X-Amz-Algorithm") == "AWS4-HMAC-SHA256" {
		presigned = true
		credential, amzDate, signature = q.Get("X-Amz-Credential"), q.Get("X-Amz-Date"), q.Get("X-Amz-Signature")
		signedHeaders = strings.Split(q.Get("X-Amz-SignedHeaders"), ";")
		payloadHash = "UNSIGNED-PAYLOAD"
		q.Del("X-Amz-Signature")
	} else {
		return nil, false, fmt.Errorf("request not signed")
	}
	at, err := time.Parse("20060102T150405Z", amzDate)
	if err != nil {
		return signedHeaders, presigned, fmt.Errorf("bad X-Amz-Date %q", amzDate)
	}
	if presigned {
		secs, err := strconv.Atoi(q.Get("X-Amz-Expires"))
		if err != nil || secs > 7*24*3600 || now.After(at.Add(time.Duration(secs)*time.Second)) {
			return signedHeaders, presigned, fmt.Errorf("presigned URL expired or bad X-Amz-Expires %q", q.Get("X-Amz-Expires"))
		}
	} else if d := now.Sub(at); d > 15*time.Minute || d < -15*time.Minute {
		return signedHeaders, presigned, fmt.Errorf("request time %s too far from now", at)
	}
	parts := strings.Split(credential, "/")
	if len(parts) != 5 || parts[0] != AccessKeyID || parts[1] != at.Format("20060102") || parts[2] != Region || parts[3] != "s3" || parts[4] != "aws4_request" {
		return signedHeaders, presigned, fmt.Errorf("credential %q is not ours", credential)
	}
	var canon strings.Builder
	canon.WriteString(r.Method + "\n" + r.URL.EscapedPath() + "\n" + canonicalQuery(q) + "\n")
	for _, h := range signedHeaders {
		var v string
		switch h {
		case "host":
			v = r.Host
		case "content-length":
			v = strconv.FormatInt(r.ContentLength, 10)
		default:
			v = strings.Join(r.Header.Values(h), ",")
		}
		canon.WriteString(h + ":" + strings.Join(strings.Fields(v), " ") + "\n")
	}
	canon.WriteString("\n" + strings.Join(signedHeaders, ";") + "\n" + payloadHash)
	scope := strings.Join(parts[1:], "/")
	sum := sha256.Sum256([]byte(canon.String()))
	toSign := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
	key := []byte("AWS4" + SecretAccessKey)
	for _, p := range parts[1:] {
		key = hmacSHA256(key, p)
	}
	if want := hex.EncodeToString(hmacSHA256(key, toSign)); !hmac.Equal([]byte(want), []byte(signature)) {
		return signedHeaders, presigned, fmt.Errorf("signature does not match")
	}
	return signedHeaders, presigned, nil
}

func hmacSHA256(key []byte, s string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(s))
	return m.Sum(nil)
}

func canonicalQuery(q url.Values) string {
	var pairs []string
	for k, vs := range q {
		for _, v := range vs {
			pairs = append(pairs, uriEncode(k)+"="+uriEncode(v))
		}
	}
	sort.Strings(pairs)
	return strings.Join(pairs, "&")
}

// uriEncode is SigV4's encoding: every byte but A-Z a-z 0-9 - _ . ~ as %XX.
func uriEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
