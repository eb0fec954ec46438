package wstransport

import (
	"fmt"
	"time"

	ws "github.com/gorilla/websocket"
	"github.com/zishang520/engine.io-go-parser/packet"
	"github.com/zishang520/engine.io/v2/types"
)

// maxKeptQueue is the largest spare queue array a running writer reuses; a
// bigger one (after a burst) is released.
const maxKeptQueue = 64

// A writer that has just written waits a moment for more packets before it
// exits, so a busy connection (a big room) sends what arrived meanwhile in one
// write instead of one write system call per delivery. The wait starts at
// coalesceMin and doubles, up to coalesceMax, while waiting keeps finding
// packets. An idle connection pays nothing: no writer runs. Starting at 0.5 ms
// (not 2 ms) keeps a quiet connection's delay low: measured with bench/run.sh,
// fan-out p99 at 40 msg/s per room fell from 84 to 68 ms and the big room still
// passed 400,000 deliveries/s (p99 19.5 ms).
const (
	coalesceMin = 500 * time.Microsecond
	coalesceMax = 10 * time.Millisecond
)

// deadlineRefresh is how often a long writer run renews the write deadline.
// It is well under gorilla's one-second deadline for a pong, which replaces
// ours on the connection.
const deadlineRefresh = 250 * time.Millisecond

// writeLoop runs while the queue is non-empty: it takes everything queued,
// writes it, emits one "drain" per written Send batch, waits briefly for more
// (see coalesceMin), and exits when nothing came (or the connection is dead or
// closing).
func (t *transport) writeLoop() {
	buf := t.buffers.get()
	defer t.buffers.put(buf)

	var spare []queuedPacket
	var deadlineAt time.Time // when the write deadline was last set
	lingered := false
	wait := coalesceMin
	for {
		t.mu.Lock()
		if t.dead || len(t.queue) == 0 {
			if !lingered && !t.dead && !t.closing {
				t.mu.Unlock()
				lingered = true
				time.Sleep(wait)
				continue
			}
			closeNow := t.closing && !t.dead
			t.writing = false
			t.queue = nil // an idle connection keeps no queue array
			t.mu.Unlock()
			if closeNow {
				t.closeConn()
			}
			return
		}
		batch := t.queue
		t.queue = spare
		t.mu.Unlock()
		if lingered { // waiting paid off: the connection is busy, batch more
			wait = min(2*wait, coalesceMax)
		}
		lingered = false

		if now := time.Now(); now.Sub(deadlineAt) >= deadlineRefresh {
			if err := t.netConn.SetWriteDeadline(now.Add(t.opts.WriteTimeout)); err != nil {
				t.fail(fmt.Errorf("set write deadline: %w", err))
				return
			}
			deadlineAt = now
		}
		drains, err := t.writePackets(batch, buf)
		clear(batch)
		spare = batch[:0]
		if cap(spare) > maxKeptQueue {
			spare = nil
		}
		if err != nil {
			t.fail(err)
			return
		}
		for range drains {
			t.Emit("drain")
		}
	}
}

// fail ends the connection after a write error.
func (t *transport) fail(err error) {
	t.markDead()
	t.OnError("websocket write error", err)
	t.conn.Close()
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
		queued := len(t.queue)
		t.dead = true
		t.queue = nil
		t.mu.Unlock()
		t.overflow(queued, 1)
		return true
	}
	t.queue = append(t.queue, queuedPacket{pkt: p})
	startWriter := !t.writing
	t.writing = true
	t.mu.Unlock()
	if startWriter {
		go t.writeLoop()
	}
	return true
}

// writePackets writes the packets and returns how many Send batches ended
// among them. Without permessage-deflate frames are built by us and coalesced
// into few writes; with it, gorilla compresses each message.
func (t *transport) writePackets(batch []queuedPacket, buf *[]byte) (drains int, err error) {
	compressing := t.PerMessageDeflate() != nil
	for _, q := range batch {
		if q.endsBatch {
			drains++
		}
		payload, opcode, err := t.payloadOf(q.pkt)
		if err != nil {
			return drains, err
		}
		if compressing {
			if err := t.writeCompressible(q.pkt, payload, opcode); err != nil {
				return drains, err
			}
			continue
		}
		*buf = appendFrame(*buf, opcode, payload)
		if len(*buf) >= flushAt {
			if err := t.flush(buf); err != nil {
				return drains, err
			}
		}
	}
	return drains, t.flush(buf)
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

// flush writes the buffered frames in one write call, under the deadline the
// writer run set. A single Write is
// atomic on the connection (net and tls serialise whole writes), so gorilla's
// own control frames (pong, close) can interleave only between our frames.
func (t *transport) flush(buf *[]byte) error {
	if len(*buf) == 0 {
		return nil
	}
	_, err := t.netConn.Write(*buf)
	*buf = (*buf)[:0]
	if err != nil {
		return fmt.Errorf("write websocket frames: %w", err)
	}
	return nil
}

// writeCompressible writes one message through gorilla so permessage-deflate
// applies; used only when the server enables compression.
func (t *transport) writeCompressible(p *packet.Packet, payload []byte, opcode byte) error {
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
