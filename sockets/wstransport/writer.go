package wstransport

import (
	"fmt"
	"time"

	ws "github.com/gorilla/websocket"
	"github.com/zishang520/engine.io-go-parser/packet"
	"github.com/zishang520/engine.io/v2/types"
)

// maxKeptQueue is the largest queue backing array kept across idle periods;
// bigger ones (after a burst) are released so idle connections stay small.
const maxKeptQueue = 64

// writeLoop runs while the queue is non-empty: it takes everything queued,
// writes it, emits one "drain" per written Send batch, and exits when the
// queue is empty (or the connection is dead).
func (t *transport) writeLoop() {
	buf := t.buffers.get()
	defer t.buffers.put(buf)

	var spare []queuedPacket
	for {
		t.mu.Lock()
		if t.dead || len(t.queue) == 0 {
			closeNow := t.closing && !t.dead
			t.writing = false
			if cap(t.queue) > maxKeptQueue {
				t.queue = nil
			}
			t.mu.Unlock()
			if closeNow {
				t.closeConn()
			}
			return
		}
		batch := t.queue
		t.queue = spare
		t.mu.Unlock()

		drains, err := t.writePackets(batch, buf)
		clear(batch)
		spare = batch[:0]
		if cap(spare) > maxKeptQueue {
			spare = nil
		}
		if err != nil {
			t.markDead()
			t.OnError("websocket write error", err)
			t.conn.Close()
			return
		}
		for range drains {
			t.Emit("drain")
		}
	}
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

// flush writes the buffered frames in one write call. A single Write is
// atomic on the connection (net and tls serialise whole writes), so gorilla's
// own control frames (pong, close) can interleave only between our frames.
func (t *transport) flush(buf *[]byte) error {
	if len(*buf) == 0 {
		return nil
	}
	if err := t.netConn.SetWriteDeadline(time.Now().Add(t.opts.WriteTimeout)); err != nil {
		return fmt.Errorf("set write deadline: %w", err)
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
