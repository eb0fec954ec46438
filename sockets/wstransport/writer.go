package wstransport

import (
	"fmt"
	"time"

	ws "github.com/gorilla/websocket"
	"github.com/zishang520/engine.io-go-parser/packet"
	"github.com/zishang520/engine.io/v2/types"
)

// maxKeptQueue is the largest queue array a connection keeps between writes;
// a bigger one (after a burst) is released.
const maxKeptQueue = 4

// deadlineRefresh is how often a long slowWrite run renews the write deadline.
// It is well under gorilla's one-second deadline for a pong, which replaces
// ours on the connection.
const deadlineRefresh = 250 * time.Millisecond

// controlReplyWait bounds writing a pong or a close reply.
const controlReplyWait = 5 * time.Second

// Writing a connection follows one rule: whoever takes packets off the queue
// holds wmu from taking them until they are written (or handed on with wmu to
// slowWrite), so frames go out in queue order whichever goroutine writes.

// startWriterLocked gets a connection that just got something to write
// written: by the sender itself while its flusher is idle and the inline
// budget lasts (write_inline.go), else by its flusher's next round, or by a writer
// goroutine of its own when it cannot be written without blocking. t.mu is
// held and is released here.
func (t *transport) startWriterLocked() {
	if t.state != stateIdle {
		waiting := t.state == stateScheduled
		queued := len(t.queue)
		t.mu.Unlock()
		switch {
		case waiting && queued >= t.opts.QueueSize/2:
			t.help()
		case waiting && queued >= t.opts.QueueSize/4:
			t.flusher.urge() // the flusher's pause must not make it overflow
		}
		return
	}
	if t.raw == nil || t.flusher == nil || t.PerMessageDeflate() != nil {
		t.state = stateSlow
		t.mu.Unlock()
		t.goSlowWrite(nil, 0, false) // Send may not wait for wmu: engine locks are held
		return
	}
	t.state = stateScheduled
	t.mu.Unlock()
	if now := time.Now(); !t.flusher.running.Load() && t.flusher.inline.allow(now) {
		t.writeInline(now)
		return
	}
	t.flusher.schedule(t)
}

// help writes t's queue from the sending goroutine once it is half full while
// waiting for its flusher. The flusher shares the processor with the senders;
// on a busy machine a fast sender can outrun it, and a client that reads fine
// must not be dropped for that: here the sender pays for the writing instead.
// Like a flusher round it never blocks (see writeFromSender).
func (t *transport) help() {
	if !t.wmu.TryLock() {
		return // being written right now
	}
	t.writeFromSender()
}

// takeQueueAs is takeQueue for a writer that owns t only while it is in state
// want (a flusher round's entry can be stale, see writeFast): owned is false,
// and nothing is taken or changed, when t is in another state.
func (t *transport) takeQueueAs(want writeState, dst []queuedPacket) (batch []queuedPacket, closeNow, owned bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.state != want {
		return dst[:0], false, false
	}
	batch, closeNow = t.takeQueueLocked(dst)
	return batch, closeNow, true
}

// takeQueue appends what is queued to dst and empties the queue, keeping a
// small array for the next packets. With nothing to take (or a dead
// connection) the connection goes idle, keeping no queue array, and a close
// requested meanwhile is due (closeNow).
func (t *transport) takeQueue(dst []queuedPacket) (batch []queuedPacket, closeNow bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.takeQueueLocked(dst)
}

func (t *transport) takeQueueLocked(dst []queuedPacket) (batch []queuedPacket, closeNow bool) {
	if t.dead || len(t.queue) == 0 {
		return dst[:0], t.goIdleLocked()
	}
	dst = append(dst[:0], t.queue...)
	clear(t.queue)
	t.queue = t.queue[:0]
	if cap(t.queue) > maxKeptQueue {
		t.queue = nil
	}
	return dst, false
}

// goIdleLocked leaves t without a writer and keeping no queue array, and
// reports whether a close requested meanwhile is due.
func (t *transport) goIdleLocked() (closeNow bool) {
	t.state = stateIdle
	t.queue = nil
	return t.closing && !t.dead
}

// writeFast is one flusher round's turn for t: everything queued is framed and
// written without blocking. What the socket does not take goes, with the rest
// of the connection's writing, to slowWrite. Something queued while writing
// waits for the next round.
//
// An entry in a round can be stale: a sender's help can have handed t to a
// writer of its own since, or written it and left it idle and scheduled anew.
// Only while t is still stateScheduled does the round write it.
func (t *transport) writeFast(f *flusher) {
	if !t.wmu.TryLock() {
		// A control frame is being written (a pong to a client whose socket
		// is full can wait for its deadline) or a sender helps: never make
		// the round wait. A writer of its own takes over.
		t.mu.Lock()
		owned := t.state == stateScheduled
		if owned {
			t.state = stateSlow
		}
		t.mu.Unlock()
		if owned {
			t.goSlowWrite(nil, 0, false)
		}
		return
	}
	batch, closeNow, owned := t.takeQueueAs(stateScheduled, f.batch)
	if !owned || len(batch) == 0 {
		t.wmu.Unlock()
		if closeNow {
			go t.closeConn() // may wait for the peer: not on the flusher
		}
		return
	}
	f.frames += len(batch)
	f.writes++
	buf, drains, err := t.appendPackets(f.buf[:0], batch)
	f.buf = buf[:0]
	clear(batch)
	f.batch = batch[:0]
	if err != nil {
		t.wmu.Unlock()
		t.fail(err)
		return
	}
	if !t.writeOrHandOver(buf, drains) {
		return
	}
	t.emitDrains(drains)

	t.mu.Lock()
	if len(t.queue) == 0 || t.dead {
		closeNow = t.goIdleLocked()
		t.mu.Unlock()
		if closeNow {
			go t.closeConn()
		}
		return
	}
	t.mu.Unlock()
	f.schedule(t) // queued while we wrote: next round
}

// writeOrHandOver writes buf without blocking; the caller holds wmu. It
// reports whether all of buf was written (and wmu released). Otherwise a write
// error failed the connection, or the rest went with wmu to a writer goroutine
// of its own, which also emits the drains.
func (t *transport) writeOrHandOver(buf []byte, drains int) bool {
	n, err := writeNonBlocking(t.raw, buf)
	if err != nil {
		t.wmu.Unlock()
		t.fail(fmt.Errorf("write websocket frames: %w", err))
		return false
	}
	if n < len(buf) {
		// slowWrite inherits wmu: nothing may be written before the rest.
		t.toSlowWriter(append([]byte(nil), buf[n:]...), drains, true)
		return false
	}
	t.wmu.Unlock()
	return true
}

// toSlowWriter hands t's writing, starting with rest, to a writer goroutine of
// its own; holdsLock says the caller holds wmu and passes it on.
func (t *transport) toSlowWriter(rest []byte, drains int, holdsLock bool) {
	t.mu.Lock()
	t.state = stateSlow
	t.mu.Unlock()
	t.goSlowWrite(rest, drains, holdsLock)
}

// goSlowWrite starts slowWrite, after taking wmu unless holdsLock. The state
// is already stateSlow.
func (t *transport) goSlowWrite(rest []byte, drains int, holdsLock bool) {
	go func() {
		if !holdsLock {
			t.wmu.Lock()
		}
		t.slowWrite(rest, drains)
	}()
}

// slowWrite owns writing t (it is started with t.wmu held and releases it)
// until the queue is empty: first rest, what a non-blocking write left over,
// then whatever is queued, each with blocking writes under the write timeout.
// drains is the number of engine Send batches that rest completes.
func (t *transport) slowWrite(rest []byte, drains int) {
	buf := t.buffers.get()
	defer t.buffers.put(buf)
	var batch []queuedPacket
	var deadlineAt time.Time // when the write deadline was last set
	for {
		if now := time.Now(); now.Sub(deadlineAt) >= deadlineRefresh {
			if err := t.netConn.SetWriteDeadline(now.Add(t.opts.WriteTimeout)); err != nil {
				t.wmu.Unlock()
				t.fail(fmt.Errorf("set write deadline: %w", err))
				return
			}
			deadlineAt = now
		}
		if err := t.writeBlocking(rest); err != nil {
			t.wmu.Unlock()
			t.fail(err)
			return
		}
		t.emitDrains(drains)

		var closeNow bool
		batch, closeNow = t.takeQueue(batch)
		if len(batch) == 0 {
			t.clearWriteDeadline()
			t.wmu.Unlock()
			if closeNow {
				t.closeConn()
			}
			return
		}
		if t.PerMessageDeflate() != nil {
			drains = 0
			for _, q := range batch {
				if err := t.writeCompressible(q.pkt); err != nil {
					t.wmu.Unlock()
					t.fail(err)
					return
				}
				if q.endsBatch {
					drains++
				}
			}
			rest = nil
		} else {
			var err error
			*buf, drains, err = t.appendPackets((*buf)[:0], batch)
			if err != nil {
				t.wmu.Unlock()
				t.fail(err)
				return
			}
			rest = *buf
		}
		clear(batch)
	}
}

// writeBlocking writes b in full (a single Write: net serialises whole writes).
func (t *transport) writeBlocking(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	if _, err := t.netConn.Write(b); err != nil {
		return fmt.Errorf("write websocket frames: %w", err)
	}
	return nil
}

func (t *transport) emitDrains(n int) {
	for range n {
		t.Emit("drain")
	}
}

// writeControl writes a control frame (pong, close) between our data frames.
func (t *transport) writeControl(messageType int, data []byte, deadline time.Time) error {
	t.wmu.Lock()
	defer t.wmu.Unlock()
	// Framed here, not by gorilla's Conn, which polled connections let go of.
	// gorilla's message types are the control opcodes; a control payload is
	// at most 125 bytes, so its length fits the second byte.
	frame := make([]byte, 0, 2+len(data))
	frame = append(frame, finBit|byte(messageType), byte(len(data)))
	frame = append(frame, data...)
	_ = t.netConn.SetWriteDeadline(deadline)
	_, err := t.netConn.Write(frame)
	t.clearWriteDeadline()
	return err
}

// clearWriteDeadline removes a deadline set for a blocking write: it would
// otherwise make the flusher's later writes fail once it passed.
func (t *transport) clearWriteDeadline() {
	_ = t.netConn.SetWriteDeadline(time.Time{})
}

// fail ends the connection after a write error.
func (t *transport) fail(err error) {
	t.markDead()
	t.OnError("websocket write error", err)
	t.closeNet()
}

// SendShared queues one packet shared with the other recipients of a
// broadcast (its pre-encoded frame is written as it is). Unlike Send it is no
// engine Send batch, so no "drain" follows it: the engine waits for none. It
// reports whether the packet was taken or dropped as Send would drop it.
func (t *transport) SendShared(p *packet.Packet) bool {
	t.mu.Lock()
	if t.dead || t.closing {
		t.mu.Unlock()
		return true
	}
	if len(t.queue)+1 > t.opts.QueueSize {
		queued, state := len(t.queue), t.state
		t.dead = true
		t.queue = nil
		t.mu.Unlock()
		t.overflow(queued, 1, state)
		return true
	}
	t.queue = append(t.queue, queuedPacket{pkt: p})
	t.startWriterLocked()
	return true
}

// appendPackets appends the packets' frames to buf and returns how many engine
// Send batches end among them.
func (t *transport) appendPackets(buf []byte, batch []queuedPacket) (_ []byte, drains int, err error) {
	for _, q := range batch {
		if q.endsBatch {
			drains++
		}
		payload, opcode, err := t.payloadOf(q.pkt)
		if err != nil {
			return buf, drains, err
		}
		buf = appendFrame(buf, opcode, payload)
	}
	return buf, drains, nil
}

// payloadOf returns the message bytes for a packet. A broadcast carries one
// pre-encoded frame shared by all recipients: its bytes are used as they are.
func (t *transport) payloadOf(p *packet.Packet) ([]byte, byte, error) {
	var encoded types.BufferInterface
	if p.Options != nil && p.Options.WsPreEncodedFrame != nil {
		encoded = p.Options.WsPreEncodedFrame
	} else {
		var err error
		encoded, err = t.Parser().EncodePacket(p, t.SupportsBinary())
		if err != nil {
			return nil, 0, fmt.Errorf("encode %s packet: %w", p.Type, err)
		}
	}
	if _, ok := encoded.(*types.StringBuffer); ok {
		return encoded.Bytes(), opText, nil
	}
	return encoded.Bytes(), opBinary, nil
}

// writeCompressible writes one message through gorilla so permessage-deflate
// applies; used only when the server enables compression.
func (t *transport) writeCompressible(p *packet.Packet) error {
	payload, opcode, err := t.payloadOf(p)
	if err != nil {
		return err
	}
	compress := p.Options != nil && p.Options.Compress
	if len(payload) < t.PerMessageDeflate().Threshold {
		compress = false
	}
	kind := ws.BinaryMessage
	if opcode == opText {
		kind = ws.TextMessage
	}
	t.conn.EnableWriteCompression(compress)
	if err := t.conn.SetWriteDeadline(time.Now().Add(t.opts.WriteTimeout)); err != nil {
		return fmt.Errorf("set write deadline: %w", err)
	}
	if err := t.conn.WriteMessage(kind, payload); err != nil {
		return fmt.Errorf("write websocket message: %w", err)
	}
	return nil
}

// closeNet closes the connection and reports it as types.WebSocketConn.Close
// would, without gorilla's Conn (nil once the poller reads the connection).
func (t *transport) closeNet() {
	_ = t.netConn.Close()
	t.conn.Emit("close")
}
