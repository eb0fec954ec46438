package sockets

import (
	"sync/atomic"

	"github.com/zishang520/socket.io-go-parser/v2/parser"
)

// socket.io v2.5.0 hands every decoded packet to its socket on a new goroutine
// (Client.ondecoded: `go socket._onpacket(packet)`), so two events one client
// emits back to back can reach our handlers in either order. The decoder is the
// last place that still sees a connection's packets in arrival order: our
// parser's decoder tags each event with a ticket of the connection's sequence,
// and the event router (sio_order_route.go) runs each event only once every
// earlier event of that connection has finished.

// orderedParser is the library's parser with an event-tagging decoder. Its
// decoder also holds the room namespace a CONNECT names while socket.io
// handles it (sio_namespaces.go); rooms is nil in tests of the parser alone.
type orderedParser struct{ rooms *roomNamespaces }

func (orderedParser) NewEncoder() parser.Encoder { return parser.NewEncoder() }

// NewDecoder is called once per Engine.IO connection (socket.io's Client).
func (p orderedParser) NewDecoder() parser.Decoder {
	d := newOrderedDecoder(parser.NewDecoder())
	d.rooms = p.rooms
	return d
}

// orderedDecoder decodes with the library's decoder and appends a ticket to
// every event's arguments before socket.io sees the packet. It shares the
// inner decoder's emitter: our listener goes first, so socket.io's (added
// later) sees the tagged packet, and a connection costs one emitter, not two.
type orderedDecoder struct {
	parser.Decoder // the library's; socket.io listens on it for "decoded"
	seq            *eventSequence
	// reconstructing: a binary packet's attachments are awaited (sio_decode.go).
	reconstructing atomic.Bool

	rooms *roomNamespaces
	// connecting is the room whose namespace a CONNECT being added names (0:
	// none): held from its decoding until socket.io, which handles a CONNECT
	// within Add (our middleware included), has returned; creator: the hold
	// is the one creating it. (Add is called for one message at a time.)
	connecting int64
	creator    bool
}

func newOrderedDecoder(inner parser.Decoder) *orderedDecoder {
	d := &orderedDecoder{Decoder: inner, seq: newEventSequence()}
	_ = inner.On("decoded", d.tag)
	return d
}

// releaseConnect ends the hold of the CONNECT just handled, if any.
func (d *orderedDecoder) releaseConnect() {
	if d.connecting != 0 {
		d.rooms.release(d.connecting, d.creator)
		d.connecting, d.creator = 0, false
	}
}

// Destroy runs when the connection closes: events still waiting for their
// turn are let go so their goroutines end.
func (d *orderedDecoder) Destroy() {
	d.Decoder.Destroy()
	d.seq.close()
}

func (d *orderedDecoder) tag(args ...any) {
	if len(args) == 0 {
		return
	}
	packet, ok := args[0].(*parser.Packet)
	if ok && packet.Type == parser.CONNECT && d.rooms != nil {
		if roomID, room := connectName(packet.Nsp); room {
			d.releaseConnect()
			d.creator = d.rooms.hold(roomID)
			d.connecting = roomID
		}
		return
	}
	if ok && (packet.Type == parser.BINARY_EVENT || packet.Type == parser.BINARY_ACK) {
		d.reconstructing.Store(false) // all its attachments arrived
	}
	if ok && (packet.Type == parser.EVENT || packet.Type == parser.BINARY_EVENT) {
		if data, ok := packet.Data.([]any); ok && len(data) > 0 {
			packet.Data = append(data[:len(data):len(data)], d.seq.issue())
		}
	}
}
