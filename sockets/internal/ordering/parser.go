// Package ordering is our Socket.IO parser: the library's, with a decoder that
// keeps a connection's events in arrival order and charges its event budget.
// socket.io hands every decoded packet to its socket on a new goroutine
// (Client.ondecoded: `go socket._onpacket(packet)`), so two events one client
// emits back to back can reach the handlers in either order; the decoder is the
// last place that still sees them in order, and the only one before that
// goroutine. It tags each event with a Ticket of the connection's sequence
// (the event router runs an event once every earlier one is done), refuses an
// event over the budget before it costs a goroutine, and refuses the packets
// the library's decoder accepts but must not (no arguments, unbounded
// attachments). Its fast path decodes a client's text EVENT with one
// json.Unmarshal, as the library would.
package ordering

import (
	"sync/atomic"
	"time"

	"github.com/zishang520/socket.io-go-parser/v2/parser"

	"github.com/izpochat/server/config"
	"github.com/izpochat/server/sockets/internal/ratelimit"
)

// Parser is the library's parser with an event-tagging, rate-limiting
// decoder (a parser.Parser: socket.ServerOptions.SetParser).
type Parser struct {
	// Limit is each connection's inbound event budget.
	Limit config.RateLimit
	// MaxWait bounds how long an event waits for earlier ones of its
	// connection that are still running: past it, order gives way to progress.
	MaxWait time.Duration
	// Holder, if set, holds the namespace a CONNECT names while socket.io
	// handles it (sockets/internal/namespaces); nil in tests of the parser alone.
	Holder ConnectHolder
}

// ConnectHolder keeps the namespace a CONNECT names from being removed from
// the moment the CONNECT is decoded (before socket.io looks the namespace up)
// until socket.io has handled it.
type ConnectHolder interface {
	// HoldConnect is called for every decoded CONNECT with its namespace; the
	// returned release (nil: nothing held) runs once socket.io has handled it.
	HoldConnect(nsp string) (release func())
}

func (Parser) NewEncoder() parser.Encoder { return parser.NewEncoder() }

// NewDecoder is called once per Engine.IO connection (socket.io's Client).
func (p Parser) NewDecoder() parser.Decoder {
	d := newOrderedDecoder(parser.NewDecoder(), p.Limit, p.MaxWait)
	d.holder = p.Holder
	return d
}

// orderedDecoder decodes with the library's decoder and appends a ticket to
// every event's arguments before socket.io sees the packet. It shares the
// inner decoder's emitter: our listener goes first, so socket.io's (added
// later) sees the tagged packet, and a connection costs one emitter, not two.
type orderedDecoder struct {
	parser.Decoder // the library's; socket.io listens on it for "decoded"
	seq            *eventSequence
	// reconstructing: a binary packet's attachments are awaited (decode.go).
	reconstructing atomic.Bool
	// limit is the connection's event budget; answers bounds the refusals that
	// are answered (each costs the library's goroutine): at the budget's rate,
	// after a burst of at least minAnsweredBurst, so a client calling one event
	// at a time still hears about every refusal. The others are dropped
	// unanswered: only a flood goes past both.
	limit, answers *ratelimit.Bucket
	// refuseNext: the packet being decoded by the library's decoder was over
	// the budget; tag marks it refused instead of giving it a ticket.
	refuseNext atomic.Bool

	holder ConnectHolder
	// releaseHeld ends the hold of the namespace a CONNECT being added names
	// (nil: none): held from its decoding until socket.io, which handles a
	// CONNECT within Add (our middleware included), has returned. (Add is
	// called for one message at a time.)
	releaseHeld func()
}

func newOrderedDecoder(inner parser.Decoder, limit config.RateLimit, maxWait time.Duration) *orderedDecoder {
	d := &orderedDecoder{Decoder: inner, seq: newEventSequence(maxWait),
		limit:   ratelimit.New(limit.EventsPerSecond, limit.Burst),
		answers: ratelimit.New(limit.EventsPerSecond, max(limit.Burst, minAnsweredBurst))}
	_ = inner.On("decoded", d.tag)
	d.seq.emit = func(p *parser.Packet) { d.Decoder.Emit("decoded", p) }
	return d
}

// releaseConnect ends the hold of the CONNECT just handled, if any.
func (d *orderedDecoder) releaseConnect() {
	if d.releaseHeld != nil {
		d.releaseHeld()
		d.releaseHeld = nil
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
// turn (the layer's event router, sockets/internal/sio).
type refusedEvent struct{}

func (d *orderedDecoder) tag(args ...any) {
	if len(args) == 0 {
		return
	}
	packet, ok := args[0].(*parser.Packet)
	if ok && packet.Type == parser.EVENT {
		if data, isList := packet.Data.([]any); isList && len(data) > 0 && tagged(data) {
			// Ours (the fast decoder's), maybe emitted from another goroutine
			// as a held event's turn came (drain): the library decoder's state
			// (refuseNext, reconstructing) is the reader's, not touched here.
			return
		}
	}
	if ok && packet.Type == parser.CONNECT && d.holder != nil {
		d.releaseConnect()
		d.releaseHeld = d.holder.HoldConnect(packet.Nsp)
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
				mark = d.seq.issueWhenRoom()
			}
			packet.Data = append(data[:len(data):len(data)], mark)
		}
	}
}

// tagged reports whether our fast decoder already tagged an event's arguments.
func tagged(data []any) bool {
	switch data[len(data)-1].(type) {
	case *Ticket, refusedEvent:
		return true
	}
	return false
}

// Take removes the decoder's mark from an event's arguments as socket.io hands
// them to the socket's event middleware: its ticket, or refused when the event
// was over the connection's budget (answered at once, with no worker and no
// turn). The mark sits last, or just before the ack callback socket.io appends.
func Take(args []any) (ticket *Ticket, refused bool, rest []any) {
	for i := len(args) - 1; i >= 0 && i >= len(args)-2; i-- {
		t, isTicket := args[i].(*Ticket)
		_, isRefused := args[i].(refusedEvent)
		if isTicket || isRefused {
			out := make([]any, 0, len(args)-1)
			out = append(out, args[:i]...)
			return t, isRefused, append(out, args[i+1:]...)
		}
	}
	return nil, false, args
}
