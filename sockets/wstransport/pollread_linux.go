//go:build linux

package wstransport

import (
	"encoding/binary"
	"errors"
	"io"
	"sync"
	"syscall"
	"time"

	ws "github.com/gorilla/websocket"
	"github.com/zishang520/engine.io/v2/types"
)

// readBufferSize is the pooled buffer one readable connection is read into;
// frames longer than what is left of it get a buffer of their own, only until
// they are complete.
const readBufferSize = 4 << 10

// readState is a polled connection's reading side. Between reads it holds no
// buffer unless a frame arrived only in part.
type readState struct {
	p   *poller
	t   *transport
	raw syscall.RawConn
	id  uint64

	// mu is held by the goroutine serving a readiness event; the poller starts
	// the next one only after the connection is re-armed, but the lock also
	// makes that hand-over visible to the race detector.
	mu      sync.Mutex
	in      inbound
	pending []byte // an incomplete frame carried to the next read
	armed   bool   // added to the epoll instance
	done    bool
	reads   int // read system calls made, for tests
}

// serve reads everything the socket holds, hands complete messages to the
// engine and re-arms the connection in the poller, or ends it.
//
// A read that did not fill its buffer took everything the socket held, so the
// connection is re-armed without a second read that would only return EAGAIN
// (a system call per incoming message): the registration is level-triggered,
// so bytes that arrive in between make it ready again at once.
func (st *readState) serve() {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.done {
		return
	}
	buf := st.getBuffer()
	defer st.putBuffer(buf)

	for {
		fromPending := len(st.pending) > 0
		dst := *buf
		if fromPending {
			dst = st.pending[len(st.pending):cap(st.pending)]
		}
		n, err := st.readNow(dst)
		if n > 0 {
			data := dst[:n]
			if fromPending {
				st.pending = st.pending[:len(st.pending)+n]
				data = st.pending
			}
			if perr := st.consume(data, fromPending); perr != nil {
				st.end(perr)
				return
			}
		}
		switch {
		case err == nil && n == 0:
			st.end(io.EOF)
			return
		case isWouldBlock(err), err == nil && n < len(dst):
			if err := st.armPoll(); err != nil {
				st.end(err)
			}
			return
		case err != nil:
			st.end(err)
			return
		}
	}
}

// consume parses data and keeps an incomplete trailing frame in st.pending,
// sized for the whole frame so it is completed without regrowing.
func (st *readState) consume(data []byte, fromPending bool) error {
	consumed, need, err := st.in.parse(data, st)
	if err != nil {
		return err
	}
	rest := data[consumed:]
	if len(rest) == 0 {
		st.pending = nil
		return nil
	}
	size := max(need, len(rest)+minPendingRoom)
	if fromPending && cap(st.pending) >= size {
		st.pending = st.pending[:copy(st.pending, rest)]
		return nil
	}
	pending := make([]byte, len(rest), size)
	copy(pending, rest)
	st.pending = pending
	return nil
}

// minPendingRoom is the free space a pending buffer gets beyond what it holds
// when the incomplete frame's length is not known yet.
const minPendingRoom = 256

func (st *readState) onMessage(opcode byte, payload []byte) {
	if p, ok := decodeTextPacket(st.t.Protocol(), opcode, payload); ok {
		st.t.OnPacket(p)
		return
	}
	data := make([]byte, len(payload))
	copy(data, payload)
	if opcode == opText {
		st.t.OnData(types.NewStringBuffer(data))
		return
	}
	st.t.OnData(types.NewBytesBuffer(data))
}

// onControl answers pings and a close, as gorilla does for its own readers.
func (st *readState) onControl(opcode byte, payload []byte) error {
	deadline := time.Now().Add(min(controlReplyWait, st.t.opts.WriteTimeout))
	switch opcode {
	case opPing:
		_ = st.t.writeControl(ws.PongMessage, append([]byte(nil), payload...), deadline)
	case opClose:
		code := ws.CloseNoStatusReceived
		if len(payload) >= 2 {
			code = int(binary.BigEndian.Uint16(payload))
		}
		reply := []byte{}
		if code != ws.CloseNoStatusReceived {
			reply = ws.FormatCloseMessage(code, "")
		}
		_ = st.t.writeControl(ws.CloseMessage, reply, deadline)
		return &ws.CloseError{Code: code}
	}
	return nil
}

// end stops reading and closes the connection, as the goroutine reader does.
func (st *readState) end(err error) {
	st.done = true
	st.pending = nil
	st.in = inbound{}
	st.p.forget(st.id)
	var fe *frameError
	switch {
	case errors.As(err, &fe):
		_ = st.t.writeControl(ws.CloseMessage, ws.FormatCloseMessage(fe.code, ""), time.Now().Add(controlReplyWait))
	case errors.Is(err, io.EOF):
		// An abrupt disconnect, reported as gorilla does (an ordinary end).
		err = &ws.CloseError{Code: ws.CloseAbnormalClosure}
	}
	st.t.endRead(err)
}
