package wstransport

import (
	"encoding/binary"
	"sync"
)

// Websocket opcodes used for data frames (RFC 6455 section 5.2).
const (
	opText   byte = 0x1
	opBinary byte = 0x2
	finBit   byte = 0x80
)

// appendFrame appends one complete, unmasked, unfragmented server->client
// frame. Server frames are never masked (RFC 6455 section 5.1).
func appendFrame(dst []byte, opcode byte, payload []byte) []byte {
	n := len(payload)
	switch {
	case n < 126:
		dst = append(dst, finBit|opcode, byte(n))
	case n <= 0xFFFF:
		dst = append(dst, finBit|opcode, 126)
		dst = binary.BigEndian.AppendUint16(dst, uint16(n))
	default:
		dst = append(dst, finBit|opcode, 127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	return append(dst, payload...)
}

const (
	// flushAt is the buffered size at which the writer issues a write; a flush
	// of many small chat frames becomes one syscall per flushAt bytes.
	flushAt = 16 << 10
	// maxPooledBuffer keeps buffers grown by a rare large frame out of the pool.
	maxPooledBuffer = 64 << 10
)

// bufferPool lends frame buffers to writers only while they run, so an idle
// connection holds none. One pool is shared by all transports of a Builder.
type bufferPool struct {
	pool sync.Pool
}

func newBufferPool() *bufferPool {
	return &bufferPool{pool: sync.Pool{New: func() any {
		b := make([]byte, 0, flushAt+1024)
		return &b
	}}}
}

func (p *bufferPool) get() *[]byte { return p.pool.Get().(*[]byte) }

func (p *bufferPool) put(b *[]byte) {
	if cap(*b) > maxPooledBuffer {
		return
	}
	*b = (*b)[:0]
	p.pool.Put(b)
}
