//go:build unix

package wstransport

import (
	"errors"
	"net"
	"sync"
	"syscall"
)

// fastWriter returns the raw descriptor access the flusher writes through, or
// nil when the connection is not a plain socket (TLS, a pipe in tests).
func fastWriter(c net.Conn) syscall.RawConn {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return raw
}

// writeNonBlocking writes what the socket takes now (Go's sockets are
// non-blocking) and returns how much that was; less than len(b) when its send
// buffer is full.
func writeNonBlocking(raw syscall.RawConn, b []byte) (int, error) {
	w := nonBlockingWrites.Get().(*nonBlockingWrite)
	w.b, w.written, w.err = b, 0, nil
	err := raw.Write(w.do)
	written, werr := w.written, w.err
	w.b, w.err = nil, nil
	nonBlockingWrites.Put(w)
	if err != nil {
		return written, err
	}
	return written, werr
}

// nonBlockingWrite is one writeNonBlocking call's state. A closure over
// locals escaped to the heap on every write (the second largest allocation
// of a loaded server); a pooled struct's method value is made once.
type nonBlockingWrite struct {
	b       []byte
	written int
	err     error
	do      func(fd uintptr) bool // w.write
}

var nonBlockingWrites = sync.Pool{New: func() any {
	w := &nonBlockingWrite{}
	w.do = w.write
	return w
}}

func (w *nonBlockingWrite) write(fd uintptr) bool {
	for w.written < len(w.b) {
		n, err := syscall.Write(int(fd), w.b[w.written:])
		if n > 0 {
			w.written += n
		}
		switch {
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EAGAIN):
			return true // full: the rest goes to slowWrite
		case err != nil:
			w.err = err
			return true
		case n <= 0:
			return true
		}
	}
	return true // never wait here: the flusher serves others
}
