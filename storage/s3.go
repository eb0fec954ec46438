package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/izpochat/server/config"
)

// S3Config names a bucket of an S3-compatible store (AWS S3, Cloudflare R2,
// MinIO, Supabase's S3 endpoint) and how to reach it.
type S3Config struct {
	Bucket          string
	Endpoint        string // the S3 API URL; empty: AWS's for Region
	Region          string // default us-east-1
	AccessKeyID     string
	SecretAccessKey string
	ForcePathStyle  bool   // <endpoint>/<bucket>/<key> rather than <bucket>.<host>/<key>
	PublicURL       string // base URL of public objects; empty: the bucket's S3 URL
	Timeout         time.Duration
	// PartSize is the size of the parts a streamed upload is cut into (and the
	// one buffer it holds); default and minimum 5 MiB, S3's smallest part.
	PartSize int64
	// HTTPClient replaces the SDK's (tests); nil: the SDK's.
	HTTPClient *http.Client
}

// minPartSize is S3's smallest part but the last.
const minPartSize = 5 << 20

// S3 keeps objects in an S3 bucket through aws-sdk-go-v2's S3 client, built
// from our configuration alone (no shared AWS files or AWS_* variables).
//
// S3 needs every request's length up front, and an upload's size is known only
// once it has been read; so an upload is read a part at a time into one buffer:
// a file that fits in one part is one PutObject, a larger one a multipart upload
// (aborted on any failure, so no object and no stored parts are left behind).
type S3 struct {
	client   *s3.Client
	presign  *s3.PresignClient
	bucket   string
	public   string
	timeout  time.Duration
	partSize int64
	links    linkCache
}

// NewS3 checks cfg and builds the client (no request is sent).
func NewS3(cfg S3Config) (*S3, error) {
	if cfg.Bucket == "" || cfg.AccessKeyID == "" || cfg.SecretAccessKey == "" {
		return nil, errors.New("s3 storage: bucket, access key id and secret access key are required")
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = config.DefaultUploadTimeout
	}
	cfg.PartSize = max(cfg.PartSize, minPartSize)
	creds := aws.Credentials{AccessKeyID: cfg.AccessKeyID, SecretAccessKey: cfg.SecretAccessKey, Source: "izpochat configuration"}
	opts := s3.Options{
		Region:       cfg.Region,
		UsePathStyle: cfg.ForcePathStyle,
		Credentials:  aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return creds, nil }),
		// Checksums only where S3 requires them: R2, MinIO and other S3-compatible
		// stores do not all take the flexible checksums the SDK adds by default.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	}
	if cfg.HTTPClient != nil {
		opts.HTTPClient = cfg.HTTPClient
	}
	var public string
	if cfg.Endpoint != "" {
		u, err := url.Parse(cfg.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("s3 storage: endpoint %q must be an http(s) URL", cfg.Endpoint)
		}
		opts.BaseEndpoint = aws.String(strings.TrimRight(cfg.Endpoint, "/"))
		if cfg.ForcePathStyle {
			public = strings.TrimRight(cfg.Endpoint, "/") + "/" + cfg.Bucket
		} else {
			public = u.Scheme + "://" + cfg.Bucket + "." + u.Host + strings.TrimRight(u.Path, "/")
		}
	} else if cfg.ForcePathStyle {
		public = "https://s3." + cfg.Region + ".amazonaws.com/" + cfg.Bucket
	} else {
		public = "https://" + cfg.Bucket + ".s3." + cfg.Region + ".amazonaws.com"
	}
	if cfg.PublicURL != "" {
		public = strings.TrimRight(cfg.PublicURL, "/")
	}
	client := s3.New(opts)
	return &S3{client: client, presign: s3.NewPresignClient(client), bucket: cfg.Bucket, public: public,
		timeout: cfg.Timeout, partSize: cfg.PartSize}, nil
}

func (s *S3) URL(key string) string { return s.public + "/" + key }

func (s *S3) Put(ctx context.Context, key string, body io.Reader, _ int64, contentType string) (string, error) {
	if !ValidKey(key) {
		return "", fmt.Errorf("s3 put %q: %w", key, ErrInvalidKey)
	}
	if contentType == "" {
		contentType = "application/octet-stream"
	}
	ctx, cancel := context.WithTimeoutCause(ctx, s.timeout, errDeadline)
	defer cancel()
	if err := s.upload(ctx, key, ctxReader{ctx: ctx, r: body}, contentType); err != nil {
		return "", fmt.Errorf("s3 put %q: %w", key, s.classify(ctx, err))
	}
	return s.URL(key), nil
}

func (s *S3) Delete(ctx context.Context, key string) error {
	if !ValidKey(key) {
		return fmt.Errorf("s3 delete %q: %w", key, ErrInvalidKey)
	}
	ctx, cancel := context.WithTimeoutCause(ctx, s.timeout, errDeadline)
	defer cancel()
	// S3 answers a delete of a missing key with success.
	if _, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.bucket, Key: &key}); err != nil {
		return fmt.Errorf("s3 delete %q: %w", key, s.classify(ctx, err))
	}
	return nil
}

// Check asks for the bucket (HeadBucket): reachable, the keys valid, the bucket there.
func (s *S3) Check(ctx context.Context) error {
	if _, err := s.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &s.bucket}); err != nil {
		return fmt.Errorf("s3 bucket %q: %w", s.bucket, s.classify(ctx, err))
	}
	return nil
}

// SignURLs implements Signer with presigned GETs (SigV4 in the query, made
// here, no request sent). A link is remembered until the expiry changes.
func (s *S3) SignURLs(ctx context.Context, keys []string, expires time.Time) (map[string]string, error) {
	return s.links.sign(keys, expires, func(key string, ttl time.Duration) (string, error) {
		req, err := s.presign.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: &key}, s3.WithPresignExpires(ttl))
		if err != nil {
			return "", fmt.Errorf("s3 sign %q: %w", key, err)
		}
		return req.URL, nil
	})
}

// classify maps an SDK error: our deadline is ErrTimeout, the caller's
// cancellation is returned as is, anything else is ErrUpstream.
func (s *S3) classify(ctx context.Context, err error) error {
	var (
		re  *awshttp.ResponseError
		api smithy.APIError
	)
	switch {
	case errors.Is(context.Cause(ctx), errDeadline):
		return fmt.Errorf("%w: no answer from S3 within %s", ErrTimeout, s.timeout)
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		return fmt.Errorf("%w (%w)", context.Cause(ctx), err)
	case errors.As(err, &re):
		code := ""
		if errors.As(err, &api) {
			code = api.ErrorCode()
		}
		return fmt.Errorf("%w: S3 answered %d %s", ErrUpstream, re.HTTPStatusCode(), code)
	default:
		return fmt.Errorf("%w: %w", ErrUpstream, err)
	}
}
