// Package fakegcs runs a real Google Cloud Storage JSON API server for tests
// (fake-gcs-server's fakestorage, in process, on loopback HTTP) behind a gate
// that plays Google's part of authentication: it writes a service account key
// file whose token_uri is its own, answers the OAuth token exchange only for a
// JWT signed by that key, refuses API calls without the token it handed out,
// and checks the V4 signature of signed URLs. It records what every request
// carried. Faults (an error status, a hang) can be switched on.
package fakegcs

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fsouza/fake-gcs-server/fakestorage"
	"github.com/golang-jwt/jwt/v5"
)

// ClientEmail is the service account the key file names.
const ClientEmail = "izpochat-uploads@izpochat-test.iam.gserviceaccount.com"

// Request is what one request carried, as the server saw it.
type Request struct {
	Method, Path  string
	Query         url.Values
	Header        http.Header
	ContentLength int64  // -1: streamed without a length
	Chunked       bool   // sent with Transfer-Encoding: chunked
	BodyLen       int64  // bytes that arrived
	Signed        bool   // a V4 signed URL, its signature checked
	Body          []byte // the first 4 KiB (an upload's metadata part)
}

// Server is a running fake GCS.
type Server struct {
	URL             string // http://127.0.0.1:port: the endpoint (the JSON API is under /storage/v1/)
	Bucket          string
	CredentialsFile string // a service account key file for this server

	gcs     *fakestorage.Server
	key     *rsa.PrivateKey
	token   string
	tokens  atomic.Int64 // token exchanges answered
	mu      sync.Mutex
	reqs    []*Request
	status  int
	hang    chan struct{}
	arrived chan struct{} // closed when an upload's body has started to arrive
	once    sync.Once
}

// Start runs a fake GCS with one bucket until the test ends.
func Start(t testing.TB, bucket string) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host := ln.Addr().String()
	gcs, err := fakestorage.NewServerWithOptions(fakestorage.Options{NoListener: true, Scheme: "http", PublicHost: host, Writer: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	gcs.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: bucket})
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{URL: "http://" + host, Bucket: bucket, gcs: gcs, key: key, token: "ya29.fake-" + strconv.Itoa(int(time.Now().UnixNano()%1e6)),
		arrived: make(chan struct{})}
	srv := &http.Server{Handler: s.gate(gcs.HTTPHandler()), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close(); gcs.Stop() })
	s.CredentialsFile = filepath.Join(t.TempDir(), "service-account.json")
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	file, _ := json.Marshal(map[string]string{
		"type": "service_account", "project_id": "izpochat-test", "private_key_id": "fake-key-1",
		"private_key":  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email": ClientEmail, "client_id": "1", "token_uri": s.URL + "/token",
	})
	if err := os.WriteFile(s.CredentialsFile, file, 0o600); err != nil {
		t.Fatal(err)
	}
	return s
}

// Fail answers every later upload with status; 0 stops.
func (s *Server) Fail(status int) { s.mu.Lock(); s.status = status; s.mu.Unlock() }

// Hang makes every later upload wait, without answering, until release is closed.
func (s *Server) Hang(release chan struct{}) { s.mu.Lock(); s.hang = release; s.mu.Unlock() }

// UploadArrived is closed once the body of an upload has started to reach the server.
func (s *Server) UploadArrived() <-chan struct{} { return s.arrived }

// TokenExchanges counts the OAuth token requests answered.
func (s *Server) TokenExchanges() int64 { return s.tokens.Load() }

// Requests returns what every request so far carried.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.reqs))
	for i, r := range s.reqs {
		out[i] = *r
	}
	return out
}

// Object is a stored object, ok false when there is none.
func (s *Server) Object(key string) (fakestorage.Object, bool) {
	o, err := s.gcs.GetObject(s.Bucket, key)
	return o, err == nil
}

// Keys lists the bucket's objects.
func (s *Server) Keys() []string {
	objs, _, err := s.gcs.ListObjects(s.Bucket, "", "", false)
	if err != nil {
		return nil
	}
	var keys []string
	for _, o := range objs {
		keys = append(keys, o.Name)
	}
	return keys
}

// countingBody counts what arrives and reports the first bytes.
type countingBody struct {
	io.ReadCloser
	rec    *Request
	mu     *sync.Mutex
	onData func()
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.mu.Lock()
	if room := 4096 - len(b.rec.Body); room > 0 {
		b.rec.Body = append(b.rec.Body, p[:min(n, room)]...)
	}
	b.rec.BodyLen += int64(n)
	b.mu.Unlock()
	if n > 0 && b.onData != nil {
		b.onData()
	}
	return n, err
}

func (s *Server) gate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(),
			ContentLength: r.ContentLength, Chunked: len(r.TransferEncoding) > 0 && r.TransferEncoding[0] == "chunked"}
		upload := strings.HasPrefix(r.URL.Path, "/upload/")
		body := &countingBody{ReadCloser: r.Body, rec: rec, mu: &s.mu}
		if upload {
			body.onData = func() { s.once.Do(func() { close(s.arrived) }) }
		}
		r.Body = body
		s.mu.Lock()
		s.reqs = append(s.reqs, rec)
		status, hang := s.status, s.hang
		s.mu.Unlock()

		switch {
		case r.URL.Path == "/token":
			s.exchange(w, r)
			return
		case strings.HasPrefix(r.URL.Path, "/storage/v1/") || upload || strings.HasPrefix(r.URL.Path, "/download/"):
			if r.Header.Get("Authorization") != "Bearer "+s.token {
				writeError(w, http.StatusUnauthorized, "Invalid Credentials")
				return
			}
		case r.URL.Query().Has("X-Goog-Signature"):
			if err := s.verifySigned(r, time.Now()); err != nil {
				writeError(w, http.StatusForbidden, "signed URL refused: "+err.Error())
				return
			}
			s.mu.Lock()
			rec.Signed = true
			s.mu.Unlock()
		}
		if upload {
			if hang != nil {
				_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 64<<10))
				select {
				case <-hang:
				case <-r.Context().Done():
				}
				return
			}
			if status != 0 {
				_, _ = io.Copy(io.Discard, r.Body)
				writeError(w, status, "the fake refuses")
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": status, "message": msg}})
}

// exchange is the OAuth 2.0 JWT bearer grant: a JWT signed by the key file's
// key, from its account, for this token URI, buys the one access token.
func (s *Server) exchange(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
		writeError(w, http.StatusBadRequest, "bad grant")
		return
	}
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(r.PostForm.Get("assertion"), claims, func(*jwt.Token) (any, error) { return &s.key.PublicKey, nil },
		jwt.WithValidMethods([]string{"RS256"}), jwt.WithAudience(s.URL+"/token"), jwt.WithIssuer(ClientEmail), jwt.WithExpirationRequired())
	if err != nil || !strings.Contains(fmt.Sprint(claims["scope"]), "devstorage") {
		writeError(w, http.StatusUnauthorized, fmt.Sprintf("assertion refused: %v (scope %v)", err, claims["scope"]))
		return
	}
	s.tokens.Add(1)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": s.token, "token_type": "Bearer", "expires_in": 3600})
}

// verifySigned checks a V4 signed URL (GOOG4-RSA-SHA256) as Google does.
func (s *Server) verifySigned(r *http.Request, now time.Time) error {
	q := r.URL.Query()
	if q.Get("X-Goog-Algorithm") != "GOOG4-RSA-SHA256" {
		return fmt.Errorf("algorithm %q", q.Get("X-Goog-Algorithm"))
	}
	at, err := time.Parse("20060102T150405Z", q.Get("X-Goog-Date"))
	if err != nil {
		return fmt.Errorf("bad X-Goog-Date")
	}
	secs, err := strconv.Atoi(q.Get("X-Goog-Expires"))
	if err != nil || secs > 7*24*3600 || now.After(at.Add(time.Duration(secs)*time.Second)) {
		return fmt.Errorf("expired or bad X-Goog-Expires %q", q.Get("X-Goog-Expires"))
	}
	cred := strings.SplitN(q.Get("X-Goog-Credential"), "/", 2)
	if len(cred) != 2 || cred[0] != ClientEmail {
		return fmt.Errorf("credential %q is not ours", q.Get("X-Goog-Credential"))
	}
	sig, err := hex.DecodeString(q.Get("X-Goog-Signature"))
	if err != nil {
		return fmt.Errorf("signature not hex")
	}
	q.Del("X-Goog-Signature")
	var pairs []string
	for k, vs := range q {
		for _, v := range vs {
			pairs = append(pairs, uriEncode(k)+"="+uriEncode(v))
		}
	}
	sort.Strings(pairs)
	signed := q.Get("X-Goog-SignedHeaders")
	var headers strings.Builder
	for _, h := range strings.Split(signed, ";") {
		v := r.Header.Get(h)
		if h == "host" {
			// The client signs the host name without a port (Google's has none).
			v, _, _ = strings.Cut(r.Host, ":")
		}
		headers.WriteString(h + ":" + v + "\n")
	}
	canon := strings.Join([]string{r.Method, r.URL.EscapedPath(), strings.Join(pairs, "&"), headers.String(), signed, "UNSIGNED-PAYLOAD"}, "\n")
	sum := sha256.Sum256([]byte(canon))
	toSign := "GOOG4-RSA-SHA256\n" + q.Get("X-Goog-Date") + "\n" + cred[1] + "\n" + hex.EncodeToString(sum[:])
	digest := sha256.Sum256([]byte(toSign))
	if err := rsa.VerifyPKCS1v15(&s.key.PublicKey, crypto.SHA256, digest[:], sig); err != nil {
		return fmt.Errorf("signature does not match")
	}
	return nil
}

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
