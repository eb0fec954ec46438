package storage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path"
	"strings"
)

// Local keeps objects as files in one directory, confined by os.Root so no name
// can reach outside it, and serves them over HTTP.
type Local struct {
	root    *os.Root
	baseURL string                   // URL prefix of served objects, e.g. "/uploads"
	typeOf  func(name string) string // content type served for a key
	// signingKey signs links (signed.go); nil: no signed links.
	signingKey []byte
}

// NewLocal opens (creating if needed) dir. baseURL is where Handler is mounted;
// typeOf names the content type to serve for a key (nil: application/octet-stream).
func NewLocal(dir, baseURL string, typeOf func(name string) string) (*Local, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("local storage: create %q: %w", dir, err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("local storage: open %q: %w", dir, err)
	}
	if typeOf == nil {
		typeOf = func(string) string { return "" }
	}
	return &Local{root: root, baseURL: strings.TrimRight(baseURL, "/"), typeOf: typeOf}, nil
}

// Close releases the directory handle.
func (l *Local) Close() error { return l.root.Close() }

// Dir is the directory objects live in.
func (l *Local) Dir() string { return l.root.Name() }

// Check reports whether the directory is still there.
func (l *Local) Check(context.Context) error {
	_, err := l.root.Stat(".")
	return err
}

func (l *Local) URL(key string) string { return l.baseURL + "/" + key }

// Put writes body to a temporary file and renames it into place once complete,
// so a reader never sees half an object and a failure leaves nothing.
func (l *Local) Put(ctx context.Context, key string, body io.Reader, size int64, _ string) (string, error) {
	if !ValidKey(key) {
		return "", fmt.Errorf("local put %q: %w", key, ErrInvalidKey)
	}
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	tmp := ".tmp-" + hex.EncodeToString(rnd[:])
	f, err := l.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return "", fmt.Errorf("local put %q: %w", key, err)
	}
	n, err := io.Copy(f, ctxReader{ctx: ctx, r: body})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && size >= 0 && n != size {
		err = fmt.Errorf("wrote %d bytes, expected %d", n, size)
	}
	if err == nil {
		err = l.root.Rename(tmp, key)
	}
	if err != nil {
		_ = l.root.Remove(tmp)
		return "", fmt.Errorf("local put %q: %w", key, err)
	}
	return l.URL(key), nil
}

func (l *Local) Delete(_ context.Context, key string) error {
	if !ValidKey(key) {
		return fmt.Errorf("local delete %q: %w", key, ErrInvalidKey)
	}
	if err := l.root.Remove(key); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("local delete %q: %w", key, err)
	}
	return nil
}

// ServeHTTP serves the object named by the request path (mount it under
// http.StripPrefix). Only generated keys are served: no listing, no traversal.
func (l *Local) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := strings.TrimPrefix(r.URL.Path, "/")
	if !ValidKey(key) {
		http.NotFound(w, r)
		return
	}
	f, err := l.root.Open(key)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() {
		http.NotFound(w, r)
		return
	}
	ct := l.typeOf(key)
	if ct == "" {
		ct = "application/octet-stream"
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("X-Content-Type-Options", "nosniff")
	disposition := "attachment"
	if Inline(ct) {
		disposition = "inline"
	}
	h.Set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": displayName(key)}))
	http.ServeContent(w, r, "", info.ModTime(), f)
}

// displayName drops the generated uuid prefix from a key.
func displayName(key string) string {
	if _, name, ok := strings.Cut(path.Base(key), "_"); ok && name != "" {
		return name
	}
	return key
}

// ctxReader stops a copy once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
