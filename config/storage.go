package config

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// StorageBackend names where uploaded files are kept. Exactly one is in use,
// chosen by which variables are set; none set means local disk.
type StorageBackend string

// The storage backends.
const (
	StorageLocal    StorageBackend = "local"    // DATA_DIR/uploads, served at /uploads/<key>
	StorageSupabase StorageBackend = "supabase" // SUPABASE_URL
	StorageGCS      StorageBackend = "gcs"      // GCS_BUCKET_NAME
	StorageS3       StorageBackend = "s3"       // S3_BUCKET
)

// GCS configures Google Cloud Storage, with the FastAPI generation's variables.
type GCS struct {
	Bucket string // GCS_BUCKET_NAME
	// CredentialsFile is GOOGLE_APPLICATION_CREDENTIALS: a service account's JSON
	// key file. Empty: application-default credentials (the metadata server of
	// Cloud Run, GKE or GCE, or the gcloud user's).
	CredentialsFile string
	Endpoint        string        // GCS_ENDPOINT: another JSON API endpoint (an emulator such as fake-gcs-server); empty: Google's
	PublicURL       string        // GCS_PUBLIC_URL: base URL of public objects (a CDN or custom domain); empty: https://storage.googleapis.com/<bucket>
	Timeout         time.Duration // UPLOAD_TIMEOUT
}

// S3 configures an S3-compatible store: AWS S3, Cloudflare R2, MinIO, Supabase's S3 endpoint.
type S3 struct {
	Bucket          string // S3_BUCKET
	Endpoint        string // S3_ENDPOINT: the S3 API URL; empty: AWS (https://s3.<region>.amazonaws.com)
	Region          string // S3_REGION, default us-east-1 (R2: auto)
	AccessKeyID     string // S3_ACCESS_KEY_ID
	SecretAccessKey string // S3_SECRET_ACCESS_KEY
	// ForcePathStyle is S3_FORCE_PATH_STYLE: <endpoint>/<bucket>/<key> instead of
	// <bucket>.<endpoint host>/<key> (MinIO and most self-hosted stores need it).
	ForcePathStyle bool
	PublicURL      string        // S3_PUBLIC_URL: base URL of public objects (R2's r2.dev or custom domain, a CDN); empty: the bucket's S3 URL
	Timeout        time.Duration // UPLOAD_TIMEOUT
}

// DefaultS3Region is the region of an S3 store when S3_REGION is unset.
const DefaultS3Region = "us-east-1"

// maxSignedLinkTTL is the longest a signed URL of GCS (V4) or S3 may live.
const maxSignedLinkTTL = 7 * 24 * time.Hour

// loadStorage picks the one storage backend the variables name and reads its
// settings (Supabase's were read by loadSupabase).
func loadStorage(e *env, cfg *Config) error {
	var chosen []string
	if cfg.Supabase.URL != "" {
		chosen = append(chosen, "Supabase (SUPABASE_URL)")
		cfg.Storage = StorageSupabase
	}
	gcsBucket, s3Bucket := e.get("GCS_BUCKET_NAME"), e.get("S3_BUCKET")
	if gcsBucket != "" {
		chosen = append(chosen, "Google Cloud Storage (GCS_BUCKET_NAME)")
		cfg.Storage = StorageGCS
	}
	if s3Bucket != "" {
		chosen = append(chosen, "S3 (S3_BUCKET)")
		cfg.Storage = StorageS3
	}
	if len(chosen) > 1 {
		return fmt.Errorf("config: file storage: %s are all set; set the variables of one backend only", strings.Join(chosen, " and "))
	}
	if len(chosen) == 0 {
		cfg.Storage = StorageLocal
	}
	timeout := cfg.Supabase.Timeout // UPLOAD_TIMEOUT, read with Supabase's settings

	// Variables of a backend that is not chosen are a mistake an operator wants to hear of.
	if gcsBucket == "" {
		for _, k := range []string{"GCS_ENDPOINT", "GCS_PUBLIC_URL"} {
			if e.get(k) != "" {
				return fmt.Errorf("config: %s is set but GCS_BUCKET_NAME is not", k)
			}
		}
	}
	if s3Bucket == "" {
		for _, k := range []string{"S3_ENDPOINT", "S3_REGION", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY", "S3_FORCE_PATH_STYLE", "S3_PUBLIC_URL"} {
			if e.get(k) != "" {
				return fmt.Errorf("config: %s is set but S3_BUCKET is not", k)
			}
		}
	}

	switch cfg.Storage {
	case StorageGCS:
		g := GCS{Bucket: gcsBucket, CredentialsFile: e.get("GOOGLE_APPLICATION_CREDENTIALS"), Timeout: timeout}
		if g.CredentialsFile != "" {
			if _, err := os.Stat(g.CredentialsFile); err != nil {
				return fmt.Errorf("config: GOOGLE_APPLICATION_CREDENTIALS: %w", err)
			}
		}
		var err error
		if g.Endpoint, err = httpURL(e, "GCS_ENDPOINT"); err != nil {
			return err
		}
		if g.PublicURL, err = httpURL(e, "GCS_PUBLIC_URL"); err != nil {
			return err
		}
		cfg.GCS = g
	case StorageS3:
		s := S3{Bucket: s3Bucket, Region: e.getOr("S3_REGION", DefaultS3Region), AccessKeyID: e.get("S3_ACCESS_KEY_ID"),
			SecretAccessKey: e.get("S3_SECRET_ACCESS_KEY"), Timeout: timeout}
		if s.AccessKeyID == "" || s.SecretAccessKey == "" {
			return errors.New("config: S3_BUCKET is set: S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY are required")
		}
		var err error
		if s.Endpoint, err = httpURL(e, "S3_ENDPOINT"); err != nil {
			return err
		}
		if s.PublicURL, err = httpURL(e, "S3_PUBLIC_URL"); err != nil {
			return err
		}
		if v := e.get("S3_FORCE_PATH_STYLE"); v != "" {
			if s.ForcePathStyle, err = strconv.ParseBool(v); err != nil {
				return invalid("S3_FORCE_PATH_STYLE", v, "true or false")
			}
		}
		cfg.S3 = s
	}
	if (cfg.Storage == StorageGCS || cfg.Storage == StorageS3) && cfg.FileURLTTL > maxSignedLinkTTL {
		cfg.Warnings = append(cfg.Warnings, fmt.Sprintf("FILE_URL_TTL %s is longer than the 7 days a %s signed URL may live: links of private rooms' files last 7 days",
			cfg.FileURLTTL, cfg.Storage))
	}
	return nil
}

// httpURL reads an optional http(s) URL, trailing slash trimmed.
func httpURL(e *env, key string) (string, error) {
	v := strings.TrimRight(e.get(key), "/")
	if v == "" {
		return "", nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", invalid(key, v, "an http(s) URL")
	}
	return v, nil
}
