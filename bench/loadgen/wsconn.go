package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sync"
	"syscall"
	"time"
)

// wsConn is a minimal client WebSocket: our own handshake and framing so the
// reading side can be driven from one epoll loop (see poller.go) instead of a
// goroutine and two read system calls per frame. Writes go through net.Conn.
type wsConn struct {
	nc      net.Conn
	fd      int
	wmu     sync.Mutex
	wbuf    []byte
	pending []byte // bytes read but not yet parsed into a whole frame
	frag    []byte // a fragmented message being reassembled (rare)
}

const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xA
)

var (
	errClosedByPeer = errors.New("websocket closed by the server")
	headerEnd       = []byte("\r\n\r\n")
)

// dialWS connects and performs the opening handshake. Bytes that arrive after
// the handshake in the same read are kept for the frame parser.
func dialWS(ctx context.Context, rawURL string) (*wsConn, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("websocket url: %w", err)
	}
	if u.Scheme != "ws" {
		return nil, fmt.Errorf("websocket url: only ws:// is supported, got %q", u.Scheme)
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", u.Host)
	if err != nil {
		return nil, fmt.Errorf("dial: %w", err)
	}
	c := &wsConn{nc: nc}
	if err := c.handshake(ctx, u); err != nil {
		nc.Close()
		return nil, err
	}
	if err := c.captureFD(); err != nil {
		nc.Close()
		return nil, err
	}
	return c, nil
}

func (c *wsConn) handshake(ctx context.Context, u *url.URL) error {
	if dl, ok := ctx.Deadline(); ok {
		c.nc.SetDeadline(dl)
		defer c.nc.SetDeadline(time.Time{})
	}
	var key [16]byte
	rand.Read(key[:])
	req := "GET " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host +
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " +
		base64.StdEncoding.EncodeToString(key[:]) + "\r\n\r\n"
	if _, err := c.nc.Write([]byte(req)); err != nil {
		return fmt.Errorf("websocket handshake: write: %w", err)
	}
	buf := make([]byte, 0, 1024)
	for {
		if i := bytes.Index(buf, headerEnd); i >= 0 {
			if !bytes.HasPrefix(buf, []byte("HTTP/1.1 101")) {
				line, _, _ := bytes.Cut(buf, []byte("\r\n"))
				return fmt.Errorf("websocket handshake: %s", line)
			}
			c.pending = append(c.pending, buf[i+len(headerEnd):]...)
			return nil
		}
		if len(buf) == cap(buf) {
			if len(buf) > 16<<10 {
				return fmt.Errorf("websocket handshake: response header too large")
			}
			buf = append(buf, make([]byte, len(buf))...)[:len(buf)]
		}
		n, err := c.nc.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil {
			return fmt.Errorf("websocket handshake: read: %w", err)
		}
	}
}

func (c *wsConn) captureFD() error {
	sc, ok := c.nc.(syscall.Conn)
	if !ok {
		return fmt.Errorf("connection has no file descriptor")
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return fmt.Errorf("file descriptor: %w", err)
	}
	return raw.Control(func(fd uintptr) { c.fd = int(fd) })
}

// writeText sends one text frame. Client frames must be masked; a zero key
// makes masking the identity, which every server accepts, so the payload is
// copied once into the frame and never transformed.
func (c *wsConn) writeText(p []byte) error {
	return c.writeFrame(opText, p)
}

func (c *wsConn) writeFrame(op byte, p []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	b := append(c.wbuf[:0], 0x80|op)
	switch n := len(p); {
	case n < 126:
		b = append(b, 0x80|byte(n))
	case n <= 0xFFFF:
		b = append(b, 0x80|126, byte(n>>8), byte(n))
	default:
		b = append(b, 0x80|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	b = append(b, 0, 0, 0, 0) // masking key
	b = append(b, p...)
	c.wbuf = b
	_, err := c.nc.Write(b)
	return err
}

func (c *wsConn) close() {
	c.wmu.Lock()
	c.nc.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
	c.nc.Write([]byte{0x80 | opClose, 0x80 | 2, 0, 0, 0, 0, 0x03, 0xE8}) // 1000 normal closure
	c.wmu.Unlock()
	c.nc.Close()
}

// frame is one parsed frame; payload aliases the read buffer.
type frame struct {
	fin     bool
	op      byte
	payload []byte
}

// parseFrame reads one frame from the front of b; n is 0 when b does not yet
// hold a whole frame.
func parseFrame(b []byte) (f frame, n int, err error) {
	if len(b) < 2 {
		return frame{}, 0, nil
	}
	f.fin = b[0]&0x80 != 0
	f.op = b[0] & 0x0F
	masked := b[1]&0x80 != 0
	size := uint64(b[1] & 0x7F)
	h := 2
	switch size {
	case 126:
		if len(b) < 4 {
			return frame{}, 0, nil
		}
		size = uint64(binary.BigEndian.Uint16(b[2:4]))
		h = 4
	case 127:
		if len(b) < 10 {
			return frame{}, 0, nil
		}
		size = binary.BigEndian.Uint64(b[2:10])
		h = 10
	}
	if size > 64<<20 {
		return frame{}, 0, fmt.Errorf("websocket frame of %d bytes", size)
	}
	var mask []byte
	if masked { // servers must not mask, but unmasking costs nothing to support
		if len(b) < h+4 {
			return frame{}, 0, nil
		}
		mask = b[h : h+4]
		h += 4
	}
	if uint64(len(b)-h) < size {
		return frame{}, 0, nil
	}
	f.payload = b[h : h+int(size)]
	if mask != nil {
		for j := range f.payload {
			f.payload[j] ^= mask[j%4]
		}
	}
	return f, h + int(size), nil
}

// consume parses the whole frames at the front of b, handing each complete
// message to onMessage (which returns false to stop after it) and answering
// control frames; it returns how many bytes it used. Payloads alias b.
func (c *wsConn) consume(b []byte, onMessage func([]byte) bool) (int, error) {
	used := 0
	for {
		f, n, err := parseFrame(b[used:])
		if err != nil || n == 0 {
			return used, err
		}
		used += n
		var msg []byte
		switch f.op {
		case opText, opBinary:
			if f.fin {
				msg = f.payload
			} else {
				c.frag = append(c.frag[:0], f.payload...)
			}
		case opContinuation:
			c.frag = append(c.frag, f.payload...)
			if f.fin {
				msg = c.frag
			}
		case opPing:
			if err := c.writeFrame(opPong, f.payload); err != nil {
				return used, err
			}
		case opClose:
			return used, errClosedByPeer
		}
		if msg != nil {
			more := onMessage(msg)
			if f.op == opContinuation {
				c.frag = c.frag[:0]
			}
			if !more {
				return used, nil
			}
		}
	}
}

// readMessage blocks until one whole message is available (handshake phase
// and the goroutine reader); frames after it stay pending.
func (c *wsConn) readMessage() ([]byte, error) {
	for {
		var out []byte
		used, err := c.consume(c.pending, func(m []byte) bool {
			out = append([]byte(nil), m...)
			return false
		})
		c.pending = c.pending[:copy(c.pending, c.pending[used:])]
		if err != nil {
			return nil, err
		}
		if out != nil {
			return out, nil
		}
		if err := c.fill(); err != nil {
			return nil, err
		}
	}
}

// fill reads more bytes into pending with a blocking read.
func (c *wsConn) fill() error {
	if cap(c.pending)-len(c.pending) < 4096 {
		grown := make([]byte, len(c.pending), 2*cap(c.pending)+4096)
		copy(grown, c.pending)
		c.pending = grown
	}
	n, err := c.nc.Read(c.pending[len(c.pending):cap(c.pending)])
	c.pending = c.pending[:len(c.pending)+n]
	return err
}
