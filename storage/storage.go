// Package storage keeps uploaded files' bytes: on local disk by default, or in
// Supabase Storage (storage-go), Google Cloud Storage (the official client) or
// an S3-compatible bucket (aws-sdk-go-v2). It knows nothing of users or rooms;
// the domain decides what may be stored under which key.
//
// Store and Signer are the one portable interface over the four backends.
// gocloud.dev/blob was weighed and left out: it would be a second interface
// over this one, with its own error codes, while each backend still needs its
// own constructor, public URL, signing options and upload tuning (no chunk
// buffer on GCS, bounded parts and aborted multipart uploads on S3), and it
// would not cover Supabase or the local signed links.
package storage

import (
	"context"
	"errors"
	"io"
	"regexp"
	"strings"
)

// Store puts, locates and deletes objects by key. Implementations are safe for
// concurrent use.
type Store interface {
	// Put streams body (size bytes, or -1 when unknown) under key and returns the
	// object's public URL. A failed Put leaves no object behind.
	Put(ctx context.Context, key string, body io.Reader, size int64, contentType string) (publicURL string, err error)
	// URL is the public URL of key.
	URL(key string) string
	// Delete removes key; deleting a missing object is not an error.
	Delete(ctx context.Context, key string) error
}

// Errors callers map to answers.
var (
	// ErrTimeout: the backend did not answer within the configured time.
	ErrTimeout = errors.New("storage timed out")
	// ErrUpstream: the backend refused or failed the request.
	ErrUpstream = errors.New("storage backend failed")
	// ErrInvalidKey: the key is not one this server generates.
	ErrInvalidKey = errors.New("invalid storage key")
)

// keyPattern is the shape of every key the server generates: "<uuid>_<safe name>".
// Anything else (slashes, dots first, "..") is refused, so no key can leave its folder.
var keyPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}_[A-Za-z0-9][A-Za-z0-9._-]{0,199}$`)

// ValidKey reports whether key has the generated shape.
func ValidKey(key string) bool { return keyPattern.MatchString(key) && !strings.Contains(key, "..") }

// Inline reports whether a file of contentType may be shown in the browser
// rather than downloaded: images, audio and video, except SVG (it can run script).
func Inline(contentType string) bool {
	ct := strings.ToLower(strings.TrimSpace(strings.SplitN(contentType, ";", 2)[0]))
	if ct == "image/svg+xml" {
		return false
	}
	return strings.HasPrefix(ct, "image/") || strings.HasPrefix(ct, "audio/") || strings.HasPrefix(ct, "video/")
}
