//go:build !unix

package wstransport

import (
	"net"
	"syscall"
)

// fastWriter: without unix write(2) every connection writes through slowWrite.
func fastWriter(net.Conn) syscall.RawConn { return nil }

func writeNonBlocking(syscall.RawConn, []byte) (int, error) { return 0, nil }
