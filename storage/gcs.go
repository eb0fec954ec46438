package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	gcs "cloud.google.com/go/storage"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/iterator"
	"google.golang.org/api/option"

	"github.com/izpochat/server/config"
)

// GCSConfig names a Google Cloud Storage bucket and how to reach it.
type GCSConfig struct {
	Bucket string
	// CredentialsFile is a service account's JSON key (GOOGLE_APPLICATION_CREDENTIALS);
	// empty: application-default credentials.
	CredentialsFile string
	// Endpoint is another JSON API endpoint (an emulator); empty: Google's.
	Endpoint string
	// PublicURL is the base URL of public objects; empty: https://storage.googleapis.com/<bucket>
	// (with Endpoint: <endpoint's origin>/<bucket>).
	PublicURL string
	Timeout   time.Duration // bound on one Put or Delete, body included
}

// GCS keeps objects in a Google Cloud Storage bucket through the official client.
// Uploads go in one streamed request (no chunk buffer): a client's upload cannot
// be replayed anyway, so the buffer that would allow retries buys nothing.
type GCS struct {
	client  *gcs.Client
	bucket  *gcs.BucketHandle
	name    string
	public  string
	timeout time.Duration
	signOpt gcs.SignedURLOptions // template: host and scheme of signed URLs
	links   linkCache
}

// NewGCS builds the client (reading the credentials file, if any).
func NewGCS(ctx context.Context, cfg GCSConfig) (*GCS, error) {
	if cfg.Bucket == "" {
		return nil, errors.New("gcs storage: bucket is required")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = config.DefaultUploadTimeout
	}
	var opts []option.ClientOption
	if cfg.CredentialsFile != "" {
		opts = append(opts, option.WithAuthCredentialsFile(option.ServiceAccount, cfg.CredentialsFile))
	}
	g := &GCS{name: cfg.Bucket, timeout: cfg.Timeout, signOpt: gcs.SignedURLOptions{Scheme: gcs.SigningSchemeV4, Method: http.MethodGet}}
	public := "https://storage.googleapis.com/" + cfg.Bucket
	if cfg.Endpoint != "" {
		u, err := url.Parse(cfg.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("gcs storage: endpoint %q must be an http(s) URL", cfg.Endpoint)
		}
		// The JSON API lives under /storage/v1/; objects are read at /<bucket>/<key>
		// of the same origin, as on storage.googleapis.com.
		opts = append(opts, option.WithEndpoint(strings.TrimRight(cfg.Endpoint, "/")+"/storage/v1/"))
		public = u.Scheme + "://" + u.Host + "/" + cfg.Bucket
		g.signOpt.Hostname, g.signOpt.Insecure = u.Host, u.Scheme == "http"
	}
	if cfg.PublicURL != "" {
		public = strings.TrimRight(cfg.PublicURL, "/")
	}
	client, err := gcs.NewClient(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("gcs storage: %w", err)
	}
	g.client, g.bucket, g.public = client, client.Bucket(cfg.Bucket), public
	return g, nil
}

// Close releases the client.
func (g *GCS) Close() error { return g.client.Close() }

func (g *GCS) URL(key string) string { return g.public + "/" + key }

// Put streams body to a new object; it never replaces one (keys are unique, so
// an existing object means a bug, not a retry).
func (g *GCS) Put(ctx context.Context, key string, body io.Reader, _ int64, contentType string) (string, error) {
	if !ValidKey(key) {
		return "", fmt.Errorf("gcs put %q: %w", key, ErrInvalidKey)
	}
	if contentType == "" {
		contentType = "application/octet-stream"
	}
	ctx, cancel := context.WithTimeoutCause(ctx, g.timeout, errDeadline)
	defer cancel()
	w := g.bucket.Object(key).If(gcs.Conditions{DoesNotExist: true}).NewWriter(ctx)
	w.ChunkSize = 0 // one request, streamed: no buffer
	w.ContentType = contentType
	w.ContentDisposition = contentDisposition(key, contentType)
	w.CacheControl = "max-age=3600"
	if _, err := io.Copy(w, ctxReader{ctx: ctx, r: body}); err != nil {
		// Cancelling the writer's context aborts the request: no object is made.
		cancel()
		_ = w.Close()
		return "", fmt.Errorf("gcs put %q: %w", key, g.classify(ctx, err))
	}
	if err := w.Close(); err != nil {
		return "", fmt.Errorf("gcs put %q: %w", key, g.classify(ctx, err))
	}
	return g.URL(key), nil
}

func (g *GCS) Delete(ctx context.Context, key string) error {
	if !ValidKey(key) {
		return fmt.Errorf("gcs delete %q: %w", key, ErrInvalidKey)
	}
	ctx, cancel := context.WithTimeoutCause(ctx, g.timeout, errDeadline)
	defer cancel()
	if err := g.bucket.Object(key).Delete(ctx); err != nil && !errors.Is(err, gcs.ErrObjectNotExist) {
		return fmt.Errorf("gcs delete %q: %w", key, g.classify(ctx, err))
	}
	return nil
}

// Check lists at most one object under a prefix the server never writes: it
// needs only the objects' read permission, and fails for a missing bucket.
func (g *GCS) Check(ctx context.Context) error {
	it := g.bucket.Objects(ctx, &gcs.Query{Prefix: "izpochat-health-check/"})
	it.PageInfo().MaxSize = 1
	if _, err := it.Next(); err != nil && !errors.Is(err, iterator.Done) {
		return fmt.Errorf("gcs bucket %q: %w", g.name, err)
	}
	return nil
}

// SignURLs implements Signer with V4 signed URLs, signed by the service
// account's key from the credentials file, or (application-default credentials
// without a key, as on Cloud Run) through the IAM signBlob API, as the client
// decides. A link is remembered until the expiry changes.
func (g *GCS) SignURLs(ctx context.Context, keys []string, expires time.Time) (map[string]string, error) {
	return g.links.sign(keys, expires, func(key string, ttl time.Duration) (string, error) {
		opts := g.signOpt
		opts.Expires = time.Now().Add(ttl)
		u, err := g.bucket.SignedURL(key, &opts)
		if err != nil {
			return "", fmt.Errorf("gcs sign %q: %w", key, err)
		}
		return u, nil
	})
}

// classify maps a client error: our deadline is ErrTimeout, the caller's
// cancellation is returned as is, anything else is ErrUpstream.
func (g *GCS) classify(ctx context.Context, err error) error {
	var ge *googleapi.Error
	switch {
	case errors.Is(context.Cause(ctx), errDeadline):
		return fmt.Errorf("%w: no answer from Google Cloud Storage within %s", ErrTimeout, g.timeout)
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		return fmt.Errorf("%w (%w)", context.Cause(ctx), err)
	case errors.As(err, &ge):
		msg := ge.Message
		if len(msg) > 200 {
			msg = msg[:200]
		}
		return fmt.Errorf("%w: Google Cloud Storage answered %d %s", ErrUpstream, ge.Code, msg)
	default:
		return fmt.Errorf("%w: %w", ErrUpstream, err)
	}
}

// contentDisposition is what a browser is told to do with an object, as the
// local file route tells it: show images, audio and video, download the rest
// (never render HTML or SVG from the bucket's origin), under the original name.
func contentDisposition(key, contentType string) string {
	d := "attachment"
	if Inline(contentType) {
		d = "inline"
	}
	return mime.FormatMediaType(d, map[string]string{"filename": displayName(key)})
}
