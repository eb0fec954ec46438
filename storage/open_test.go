package storage

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"
)

func TestLocalOpenReadsWhatPutStored(t *testing.T) {
	l, _ := newLocal(t)
	body := []byte("\x89PNG\r\n\x1a\nbytes")
	if _, err := l.Put(context.Background(), testKey, bytes.NewReader(body), int64(len(body)), "image/png"); err != nil {
		t.Fatal(err)
	}
	obj, err := l.Open(context.Background(), testKey)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(obj.Body)
	obj.Body.Close()
	if !bytes.Equal(got, body) || obj.Size != int64(len(body)) || obj.ModTime.IsZero() {
		t.Fatalf("open = %q, size %d, mod %v", got, obj.Size, obj.ModTime)
	}
	if _, ok := obj.Body.(io.ReadSeeker); !ok {
		t.Fatal("a local object cannot seek: ranges would not be served")
	}
	if _, err := l.Open(context.Background(), "0b9a6c2e-5d1f-4e4a-9c7b-1a2b3c4d5e6f_gone.png"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing object: %v, want ErrNotFound", err)
	}
	for _, bad := range []string{"../secret", ".tmp-x", "", "a/b"} {
		if _, err := l.Open(context.Background(), bad); !errors.Is(err, ErrInvalidKey) {
			t.Fatalf("Open(%q): %v, want ErrInvalidKey", bad, err)
		}
	}
}

func TestSupabaseOpenStreamsTheObject(t *testing.T) {
	fake, s := newFakeSupabase(t, 5*time.Second)
	body := bytes.Repeat([]byte("audio"), 10_000)
	if _, err := s.Put(context.Background(), testKey, bytes.NewReader(body), int64(len(body)), "audio/mpeg"); err != nil {
		t.Fatal(err)
	}
	obj, err := s.Open(context.Background(), testKey)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(obj.Body)
	obj.Body.Close()
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("read %d bytes, %v; want %d", len(got), err, len(body))
	}
	if _, err := s.Open(context.Background(), "0b9a6c2e-5d1f-4e4a-9c7b-1a2b3c4d5e6f_gone.png"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing object: %v, want ErrNotFound", err)
	}
	if _, err := s.Open(context.Background(), "../x"); !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("bad key: %v", err)
	}
	fake.Status = http.StatusInternalServerError
	if _, err := s.Open(context.Background(), testKey); !errors.Is(err, ErrUpstream) {
		t.Fatalf("500: %v, want ErrUpstream", err)
	}
}

func TestSupabaseOpenTimesOutWaitingForTheAnswer(t *testing.T) {
	fake, s := newFakeSupabase(t, 200*time.Millisecond)
	fake.Hang = make(chan struct{})
	defer close(fake.Hang)
	start := time.Now()
	_, err := s.Open(context.Background(), testKey)
	if !errors.Is(err, ErrTimeout) || time.Since(start) > 3*time.Second {
		t.Fatalf("hung download: %v after %v, want ErrTimeout within the timeout", err, time.Since(start))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Open(ctx, testKey); errors.Is(err, ErrTimeout) || err == nil {
		t.Fatalf("cancelled caller: %v, want its cancellation, not a timeout", err)
	}
}
