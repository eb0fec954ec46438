package edge

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

var (
	errBodyTooLarge = errors.New("request body is too large")
	errTooSlow      = errors.New("request body arrives too slowly")
)

// servePollPost reads a Socket.IO polling POST whole, within its limit and
// deadline, before the engine sees it. The engine checks only Content-Length and
// reads a chunked body without a limit, ignoring read errors (it would decode a
// cut body as if it were whole), so it is given the complete bytes or nothing.
func (e *Edge) servePollPost(w, pw http.ResponseWriter, r *http.Request, rc *http.ResponseController, next http.Handler) {
	h := e.opts.HTTP
	if tooLarge(w, r, e.opts.MaxPollingBody) {
		return
	}
	if hasBody(r) {
		_ = rc.SetReadDeadline(time.Now().Add(h.BodyTimeout))
		body, err := readBounded(r.Body, r.ContentLength, e.opts.MaxPollingBody)
		if err != nil {
			w.Header().Set("Connection", "close")
			switch {
			case errors.Is(err, errBodyTooLarge):
				writeError(w, http.StatusRequestEntityTooLarge, "request body is too large")
			case errors.Is(err, os.ErrDeadlineExceeded):
				writeError(w, http.StatusRequestTimeout, "request body was not sent in time")
			default:
				writeError(w, http.StatusBadRequest, "request body could not be read")
			}
			return
		}
		// The body is read to its end: the server now watches the connection
		// for the client going away, and a deadline left here would cut it.
		_ = rc.SetReadDeadline(time.Time{})
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		r.TransferEncoding = nil
	}
	_ = rc.SetWriteDeadline(time.Now().Add(h.WriteTimeout))
	next.ServeHTTP(pw, r)
}

// readBounded reads a body of the declared length (<= limit) or of unknown
// length (-1), failing beyond limit without reading further. The buffer grows
// as bytes arrive, so a client that declares a large body and sends little
// makes us hold little.
func readBounded(body io.Reader, length, limit int64) ([]byte, error) {
	var b bytes.Buffer
	if length > 0 {
		b.Grow(int(min(length, 64<<10)))
	}
	n, err := b.ReadFrom(io.LimitReader(body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	if n > limit {
		return nil, errBodyTooLarge
	}
	if length >= 0 && n != length {
		return nil, fmt.Errorf("read body: %w", io.ErrUnexpectedEOF)
	}
	return b.Bytes(), nil
}

// deadlineBody lifts the body's read deadline once the body is read to its
// end: past that point the server reads the connection only to notice the
// client going away, which a deadline would turn into a cancelled request.
type deadlineBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	done bool
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if errors.Is(err, io.EOF) && !b.done {
		b.done = true
		_ = b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}

// rateBody keeps an upload at a minimum rate: a bucket of waiting time that
// starts full (window), gains 1/rate seconds per byte received, loses the time
// spent blocked reading, and never holds more than window. The read deadline is
// where the bucket runs dry, so a stalled or trickling client is cut within a
// window. Time the handler spends not reading (storage being slow) costs the
// client nothing.
type rateBody struct {
	io.ReadCloser
	rc     *http.ResponseController
	rate   float64 // bytes per second
	window time.Duration
	credit time.Duration
	done   bool
}

func newRateBody(body io.ReadCloser, rc *http.ResponseController, rate int64, window time.Duration) *rateBody {
	b := &rateBody{ReadCloser: body, rc: rc, rate: float64(rate), window: window, credit: window}
	_ = rc.SetReadDeadline(time.Now().Add(b.credit))
	return b
}

func (b *rateBody) Read(p []byte) (int, error) {
	if b.done {
		return b.ReadCloser.Read(p)
	}
	start := time.Now()
	n, err := b.ReadCloser.Read(p)
	now := time.Now()
	b.credit = min(b.window, b.credit-now.Sub(start)+time.Duration(float64(n)/b.rate*float64(time.Second)))
	switch {
	case err == nil:
		_ = b.rc.SetReadDeadline(now.Add(b.credit))
	case errors.Is(err, io.EOF):
		// Read to its end: lift the deadline (see deadlineBody).
		b.done = true
		_ = b.rc.SetReadDeadline(time.Time{})
	default:
		b.done = true
		if errors.Is(err, os.ErrDeadlineExceeded) {
			err = fmt.Errorf("%w: %w", errTooSlow, err)
		}
	}
	return n, err
}

// progressWriter gives every write of an answer its own deadline: a slow reader
// of a long answer (a stored file) is served, one that stops reading is cut,
// and the time a handler takes before it writes is not counted.
type progressWriter struct {
	http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
}

func (p *progressWriter) WriteHeader(status int) {
	_ = p.rc.SetWriteDeadline(time.Now().Add(p.timeout))
	p.ResponseWriter.WriteHeader(status)
}

func (p *progressWriter) Write(b []byte) (int, error) {
	_ = p.rc.SetWriteDeadline(time.Now().Add(p.timeout))
	return p.ResponseWriter.Write(b)
}

func (p *progressWriter) Flush() { _ = p.rc.Flush() }

func (p *progressWriter) Unwrap() http.ResponseWriter { return p.ResponseWriter }
