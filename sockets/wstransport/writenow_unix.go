//go:build unix

package wstransport

import (
	"errors"
	"net"
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
	written := 0
	var werr error
	err := raw.Write(func(fd uintptr) bool {
		for written < len(b) {
			n, err := syscall.Write(int(fd), b[written:])
			if n > 0 {
				written += n
			}
			switch {
			case errors.Is(err, syscall.EINTR):
				continue
			case errors.Is(err, syscall.EAGAIN):
				return true // full: the rest goes to slowWrite
			case err != nil:
				werr = err
				return true
			case n <= 0:
				return true
			}
		}
		return true // never wait here: the flusher serves others
	})
	if err != nil {
		return written, err
	}
	return written, werr
}
