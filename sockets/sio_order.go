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

// orderedParser is the library's parser with an event-tagging decoder.
type orderedParser struct{}

func (orderedParser) NewEncoder() parser.Encoder { return parser.NewEncoder() }

// NewDecoder is called once per Engine.IO connection (socket.io's Client).
func (orderedParser) NewDecoder() parser.Decoder { return newOrderedDecoder(parser.NewDecoder()) }

// orderedDecoder decodes with the library's decoder and appends a ticket to
// every event's arguments before socket.io sees the packet. It shares the
// inner decoder's emitter: our listener goes first, so socket.io's (added
// later) sees the tagged packet, and a connection costs one emitter, not two.
type orderedDecoder struct {
	parser.Decoder // the library's; socket.io listens on it for "decoded"
	seq            *eventSequence
	// reconstructing: a binary packet's attachments are awaited (sio_decode.go).
	reconstructing atomic.Bool
}

func newOrderedDecoder(inner parser.Decoder) *orderedDecoder {
	d := &orderedDecoder{Decoder: inner, seq: newEventSequence()}
	_ = inner.On("decoded", d.tag)
	return d
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
	if ok && (packet.Type == parser.BINARY_EVENT || packet.Type == parser.BINARY_ACK) &&
		(packet.Attachments == nil || *packet.Attachments > 0) {
		// All its attachments arrived. A binary packet announcing none is
		// emitted at once, but the library keeps waiting for attachments and
		// refuses text from then on: so do we (found by FuzzOrderedDecoder).
		d.reconstructing.Store(false)
	}
	if ok && (packet.Type == parser.EVENT || packet.Type == parser.BINARY_EVENT) {
		if data, ok := packet.Data.([]any); ok && len(data) > 0 {
			packet.Data = append(data[:len(data):len(data)], d.seq.issue())
		}
	}
}
