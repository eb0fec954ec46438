package sockets

import (
	"sync/atomic"

	"github.com/zishang520/socket.io-go-parser/v2/parser"

	"github.com/izpochat/server/config"
)

// socket.io v2.5.0 hands every decoded packet to its socket on a new goroutine
// (Client.ondecoded: `go socket._onpacket(packet)`), so two events one client
// emits back to back can reach our handlers in either order. The decoder is the
// last place that still sees a connection's packets in arrival order: our
// parser's decoder tags each event with a ticket of the connection's sequence,
// and the event router (sio_order_route.go) runs each event only once every
// earlier event of that connection has finished.
//
// It is also the only place before that goroutine, so the connection's event
// budget is charged here (sio_decode.go): a packet beyond it never becomes a
// goroutine, a worker or a ticket, however fast the client sends.

// orderedParser is the library's parser with an event-tagging, rate-limiting
// decoder. Its decoder also holds the room namespace a CONNECT names while
// socket.io handles it (sio_namespaces.go); rooms is nil in tests of the
// parser alone.
type orderedParser struct {
	limit config.RateLimit // each connection's inbound event budget
	rooms *roomNamespaces
}

func (orderedParser) NewEncoder() parser.Encoder { return parser.NewEncoder() }

// NewDecoder is called once per Engine.IO connection (socket.io's Client).
func (p orderedParser) NewDecoder() parser.Decoder {
	d := newOrderedDecoder(parser.NewDecoder(), p.limit)
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
	// limit is the connection's event budget; answers bounds the refusals that
	// are answered (each costs the library's goroutine): at the budget's rate,
	// after a burst of at least minAnsweredBurst, so a client calling one event
	// at a time still hears about every refusal. The others are dropped
	// unanswered: only a flood goes past both.
	limit, answers *bucket
	// refuseNext: the packet being decoded by the library's decoder was over
	// the budget; tag marks it refused instead of giving it a ticket.
	refuseNext atomic.Bool

	rooms *roomNamespaces
	// connecting is the room whose namespace a CONNECT being added names (0:
	// none): held from its decoding until socket.io, which handles a CONNECT
	// within Add (our middleware included), has returned; creator: the hold
	// is the one creating it. (Add is called for one message at a time.)
	connecting int64
	creator    bool
}

func newOrderedDecoder(inner parser.Decoder, limit config.RateLimit) *orderedDecoder {
	d := &orderedDecoder{Decoder: inner, seq: newEventSequence(),
		limit:   newBucket(limit.EventsPerSecond, limit.Burst),
		answers: newBucket(limit.EventsPerSecond, max(limit.Burst, minAnsweredBurst))}
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

// minAnsweredBurst is the least burst of refusals answered (see answers).
const minAnsweredBurst = 64

// refusedEvent takes the ticket's place in the arguments of an event over the
// connection's budget: the router answers it at once, with no worker and no
// turn (sio_order_route.go).
type refusedEvent struct{}

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
	if ok && (packet.Type == parser.BINARY_EVENT || packet.Type == parser.BINARY_ACK) &&
		(packet.Attachments == nil || *packet.Attachments > 0) {
		// All its attachments arrived. A binary packet announcing none is
		// emitted at once, but the library keeps waiting for attachments and
		// refuses text from then on: so do we (found by FuzzOrderedDecoder).
		d.reconstructing.Store(false)
	}
	refused := d.refuseNext.Swap(false)
	if ok && (packet.Type == parser.EVENT || packet.Type == parser.BINARY_EVENT) {
		if data, ok := packet.Data.([]any); ok && len(data) > 0 && !tagged(data) {
			var mark any = refusedEvent{}
			if !refused {
				mark = d.seq.issue()
			}
			packet.Data = append(data[:len(data):len(data)], mark)
		}
	}
}

// tagged reports whether our fast decoder already tagged an event's arguments.
func tagged(data []any) bool {
	switch data[len(data)-1].(type) {
	case *orderTicket, refusedEvent:
		return true
	}
	return false
}
