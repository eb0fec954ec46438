package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	storage_go "github.com/supabase-community/storage-go"

	"github.com/izpochat/server/config"
)

// SupabaseConfig names a Supabase project's bucket.
type SupabaseConfig struct {
	URL     string        // project URL, e.g. https://xyz.supabase.co
	Key     string        // service role (or anon) key
	Bucket  string        // bucket name
	Timeout time.Duration // bound on one Put or Delete, body included
}

// Supabase keeps objects in a Supabase Storage bucket through storage-go.
//
// storage-go v0.8.1's UploadFile writes the content type and x-upsert into a
// header map its Client shares with every request in flight (a data race, and the
// wrong type on the wrong file), and it has no context or timeout. So every call
// builds its own Client, whose fixed headers carry that upload's content type, and
// sends a request of ours that carries a deadline through the library's Do.
type Supabase struct {
	api     string // <URL>/storage/v1
	public  string // <URL>/storage/v1/object/public/<bucket>
	key     string
	bucket  string
	timeout time.Duration

	signedMu sync.Mutex
	signed   map[string]signedLink // by key (supabase_signed.go)
}

// NewSupabase checks cfg and builds the store.
func NewSupabase(cfg SupabaseConfig) (*Supabase, error) {
	base := strings.TrimRight(cfg.URL, "/")
	if !strings.HasPrefix(base, "http://") && !strings.HasPrefix(base, "https://") {
		return nil, fmt.Errorf("supabase storage: URL %q must be http(s)", cfg.URL)
	}
	if cfg.Key == "" || cfg.Bucket == "" {
		return nil, errors.New("supabase storage: key and bucket are required")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = config.DefaultUploadTimeout
	}
	api := base + "/storage/v1"
	return &Supabase{api: api, public: api + "/object/public/" + cfg.Bucket, key: cfg.Key, bucket: cfg.Bucket, timeout: cfg.Timeout}, nil
}

func (s *Supabase) URL(key string) string { return s.public + "/" + key }

// client is a fresh storage-go client whose shared headers belong to one call only.
func (s *Supabase) client(contentType string) *storage_go.Client {
	headers := map[string]string{"apikey": s.key}
	if contentType != "" {
		headers["Content-Type"] = contentType
		headers["x-upsert"] = "false"
		headers["cache-control"] = "max-age=3600"
	}
	return storage_go.NewClient(s.api, s.key, headers)
}

func (s *Supabase) Put(ctx context.Context, key string, body io.Reader, size int64, contentType string) (string, error) {
	if !ValidKey(key) {
		return "", fmt.Errorf("supabase put %q: %w", key, ErrInvalidKey)
	}
	if contentType == "" {
		contentType = "application/octet-stream"
	}
	ctx, cancel := context.WithTimeoutCause(ctx, s.timeout, errDeadline)
	defer cancel()
	// The transport may still read the body after Do returns; wait for its Close
	// so the caller can safely read the stream that fed it again.
	tracked := newClosingBody(body)
	defer tracked.wait(time.Second)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.api+"/object/"+s.bucket+"/"+key, tracked)
	if err != nil {
		return "", fmt.Errorf("supabase put %q: %w", key, err)
	}
	if size >= 0 {
		req.ContentLength = size
	}
	if err := s.do(ctx, s.client(contentType), req); err != nil {
		return "", fmt.Errorf("supabase put %q: %w", key, err)
	}
	return s.URL(key), nil
}

func (s *Supabase) Delete(ctx context.Context, key string) error {
	if !ValidKey(key) {
		return fmt.Errorf("supabase delete %q: %w", key, ErrInvalidKey)
	}
	ctx, cancel := context.WithTimeoutCause(ctx, s.timeout, errDeadline)
	defer cancel()
	c := s.client("")
	// The Storage API's bulk delete: DELETE /object/<bucket> {"prefixes": [key]}.
	req, err := c.NewRequest(http.MethodDelete, s.api+"/object/"+s.bucket, map[string]any{"prefixes": []string{key}})
	if err != nil {
		return fmt.Errorf("supabase delete %q: %w", key, err)
	}
	if err := s.do(ctx, c, req.WithContext(ctx)); err != nil {
		return fmt.Errorf("supabase delete %q: %w", key, err)
	}
	return nil
}

// do sends req and classifies its failure: our deadline is ErrTimeout, an error
// status or an unreachable server is ErrUpstream, the caller's cancellation is
// returned as is.
func (s *Supabase) do(ctx context.Context, c *storage_go.Client, req *http.Request) error {
	return s.doInto(ctx, c, req, nil)
}

// doInto is do, decoding a successful answer's JSON into v (nil: discarded).
func (s *Supabase) doInto(ctx context.Context, c *storage_go.Client, req *http.Request, v any) error {
	resp, err := c.Do(req, v)
	if resp != nil && resp.Body != nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
	}
	var se *storage_go.StorageError
	switch {
	case err == nil:
		return nil
	case errors.Is(context.Cause(ctx), errDeadline):
		return fmt.Errorf("%w: no answer from Supabase within %s", ErrTimeout, s.timeout)
	case ctx.Err() != nil:
		return fmt.Errorf("%w (%w)", context.Cause(ctx), err)
	case errors.As(err, &se) && resp != nil:
		msg := se.Message
		if len(msg) > 200 {
			msg = msg[:200]
		}
		return fmt.Errorf("%w: Supabase answered %d %s", ErrUpstream, resp.StatusCode, msg)
	default:
		return fmt.Errorf("%w: %w", ErrUpstream, err)
	}
}

// errDeadline marks our own per-call deadline, told apart from the caller's.
var errDeadline = errors.New("supabase call deadline")

// closingBody reports when the transport has closed the request body.
type closingBody struct {
	r      io.Reader
	once   sync.Once
	closed chan struct{}
}

func newClosingBody(r io.Reader) *closingBody {
	return &closingBody{r: r, closed: make(chan struct{})}
}

func (b *closingBody) Read(p []byte) (int, error) { return b.r.Read(p) }

func (b *closingBody) Close() error {
	b.once.Do(func() { close(b.closed) })
	return nil
}

// wait blocks until Close or at most d (the transport closes promptly unless it
// is blocked reading a stalled client).
func (b *closingBody) wait(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-b.closed:
	case <-t.C:
	}
}
