//go:build unix

package wstransport

import (
	"net"
	"testing"
)

// A non-blocking write allocates nothing: it runs for every write of a
// loaded server.
func TestNonBlockingWriteAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	server, client := tcpPair(t)
	raw := fastWriter(server)
	if raw == nil {
		t.Fatal("no raw access to a TCP connection")
	}
	go drain(client)
	frame := []byte("hello")
	allocs := testing.AllocsPerRun(200, func() {
		if n, err := writeNonBlocking(raw, frame); err != nil || n != len(frame) {
			t.Fatalf("wrote %d of %d: %v", n, len(frame), err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%.1f allocations per write, want none", allocs)
	}
}

// tcpPair returns both ends of a loopback TCP connection.
func tcpPair(t *testing.T) (net.Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server := <-accepted
	if server == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { server.Close(); client.Close() })
	return server, client
}

func drain(c net.Conn) {
	buf := make([]byte, 4096)
	for {
		if _, err := c.Read(buf); err != nil {
			return
		}
	}
}
