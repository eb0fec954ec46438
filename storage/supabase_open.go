package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	storage_go "github.com/supabase-community/storage-go"
)

// Open implements Opener with the Storage API's authenticated download
// (GET /object/<bucket>/<key> with the service key, what storage-go's
// DownloadFile asks for). DownloadFile reads the whole object into memory and
// takes no context, so the request is ours, sent through the library's Do with
// v nil, which leaves the answer's body unread for us to stream. The timeout
// bounds the wait for the answer's headers, not the copy of its body, which
// lasts as long as the caller's context.
func (s *Supabase) Open(ctx context.Context, key string) (*Object, error) {
	if !ValidKey(key) {
		return nil, fmt.Errorf("supabase open %q: %w", key, ErrInvalidKey)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	timer := time.AfterFunc(s.timeout, func() { cancel(errDeadline) })
	c := s.client("")
	req, err := c.NewRequest(http.MethodGet, s.api+"/object/"+s.bucket+"/"+key)
	if err != nil {
		cancel(nil)
		return nil, fmt.Errorf("supabase open %q: %w", key, err)
	}
	resp, err := c.Do(req.WithContext(ctx), nil)
	if !timer.Stop() && err == nil {
		// The deadline fired just as the answer came: its body is cut off.
		err = errDeadline
	}
	if err != nil {
		if resp != nil && resp.Body != nil {
			resp.Body.Close()
		}
		err = s.openError(ctx, resp, err) // before cancel: it tells our deadline apart
		cancel(nil)
		return nil, fmt.Errorf("supabase open %q: %w", key, err)
	}
	return &Object{Body: &cancelBody{ReadCloser: resp.Body, cancel: cancel}, Size: resp.ContentLength,
		ModTime: lastModified(resp.Header)}, nil
}

// openError classifies a failed download: a missing object (Supabase answers 404,
// or 400 with "not_found" in its body) is ErrNotFound, the rest as do does.
func (s *Supabase) openError(ctx context.Context, resp *http.Response, err error) error {
	var se *storage_go.StorageError
	if errors.As(err, &se) && resp != nil && context.Cause(ctx) == nil {
		if resp.StatusCode == http.StatusNotFound ||
			(resp.StatusCode == http.StatusBadRequest && strings.Contains(strings.ToLower(se.Message), "not found")) {
			return ErrNotFound
		}
		msg := se.Message
		if len(msg) > 200 {
			msg = msg[:200]
		}
		return fmt.Errorf("%w: Supabase answered %d %s", ErrUpstream, resp.StatusCode, msg)
	}
	switch {
	case errors.Is(context.Cause(ctx), errDeadline), errors.Is(err, errDeadline):
		return fmt.Errorf("%w: no answer from Supabase within %s", ErrTimeout, s.timeout)
	case ctx.Err() != nil:
		return fmt.Errorf("%w (%w)", context.Cause(ctx), err)
	default:
		return fmt.Errorf("%w: %w", ErrUpstream, err)
	}
}

func lastModified(h http.Header) time.Time {
	t, err := http.ParseTime(h.Get("Last-Modified"))
	if err != nil {
		return time.Time{}
	}
	return t
}

// cancelBody ends the download's context once its body is closed.
type cancelBody struct {
	io.ReadCloser
	cancel context.CancelCauseFunc
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel(nil)
	return err
}
