package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"time"
)

// Opener reads stored objects back, for the routes that answer a file's bytes
// (which files may be read, and by whom, is the domain's decision).
type Opener interface {
	// Open returns the object's bytes; ErrNotFound when there is none. The
	// caller closes Body.
	Open(ctx context.Context, key string) (*Object, error)
}

// Object is an object being read.
type Object struct {
	// Body is the object's bytes; an io.ReadSeeker too when the store can seek
	// (local disk), so ranges can be served.
	Body    io.ReadCloser
	Size    int64 // -1 when unknown
	ModTime time.Time
}

// ErrNotFound: no object is stored under the key.
var ErrNotFound = errors.New("storage object not found")

// Open implements Opener for files on local disk.
func (l *Local) Open(_ context.Context, key string) (*Object, error) {
	if !ValidKey(key) {
		return nil, fmt.Errorf("local open %q: %w", key, ErrInvalidKey)
	}
	f, err := l.root.Open(key)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("local open %q: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("local open %q: %w", key, err)
	}
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() {
		f.Close()
		if err == nil {
			err = ErrNotFound
		}
		return nil, fmt.Errorf("local open %q: %w", key, err)
	}
	return &Object{Body: f, Size: info.Size(), ModTime: info.ModTime()}, nil
}
