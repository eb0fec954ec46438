package ordering

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strconv"

	"github.com/zishang520/engine.io/v2/types"
	"github.com/zishang520/socket.io-go-parser/v2/parser"
)

// The library's decoder reads a text packet through a json.Decoder (a decoder
// and its growing read buffer for every packet) and copies the whole packet
// into a string it only logs: an eighth of the garbage a posted message makes.
// Our decoder decodes the usual packet, a client's EVENT as text, from its
// bytes with one json.Unmarshal into the same values, and gives everything else
// (binary events and their attachments, acks, connects, anything it does not
// accept as it is) to the library's, which then decides as it always has.

// Add decodes one Engine.IO message of the connection. An event or ack over
// the connection's budget is refused here, before the library could start a
// goroutine for it: answered (error event, error ack) while answers are within
// the budget too, else dropped.
func (d *orderedDecoder) Add(data any) error {
	err := d.add(data)
	d.releaseConnect()
	return err
}

func (d *orderedDecoder) add(data any) error {
	text := textOf(data)
	if err := refusedBeforeTheLibrary(text); err != nil {
		return err
	}
	reconstructing := d.reconstructing.Load()
	overBudget := !reconstructing && len(text) > 0 && chargesBudget(text[0]) && !d.limit.Allow()
	if !reconstructing {
		if p, ok := decodeEventText(text); ok {
			if overBudget {
				if !d.answers.Allow() {
					return nil
				}
				p.Data = append(p.Data.([]any), refusedEvent{})
			} else {
				d.seq.admit(p, text) // with its ticket now, or held until there is room
				return nil
			}
			d.Decoder.Emit("decoded", p)
			return nil
		}
	}
	if overBudget {
		switch text[0] {
		case byte(parser.ACK):
			return nil // nothing to answer; the library would only look it up
		case byte(parser.EVENT):
			if !d.answers.Allow() {
				return nil
			}
		}
		// A binary packet cannot be dropped before its attachments: it is
		// decoded and then refused (tag).
		d.refuseNext.Store(true)
	}
	if len(text) > 0 && (text[0] == byte(parser.BINARY_EVENT) || text[0] == byte(parser.BINARY_ACK)) {
		// Its attachments follow; until the packet is decoded (tag sees it),
		// text packets must reach the library's decoder, which refuses them.
		d.reconstructing.Store(true)
		if err := d.Decoder.Add(data); err != nil {
			d.reconstructing.Store(false)
			d.refuseNext.Store(false)
			return err
		}
		return nil
	}
	err := d.Decoder.Add(data)
	d.refuseNext.Store(false) // decoded and tagged, or not an event after all
	return err
}

// chargesBudget reports whether a packet of this type (its first byte) is
// charged to the connection's event budget: what the client sends to be
// handled, not its CONNECT and DISCONNECT.
func chargesBudget(kind byte) bool {
	switch kind {
	case byte(parser.EVENT), byte(parser.ACK), byte(parser.BINARY_EVENT), byte(parser.BINARY_ACK):
		return true
	}
	return false
}

var (
	errTooManyAttachments = errors.New("binary packet announces too many attachments")
	errNoArguments        = errors.New("event or ack packet without arguments")
)

// refusedBeforeTheLibrary refuses the text packets the library's decoder
// accepts but must not: an event or ack without arguments ("42", "2/admin",
// "51-") is decoded with nil data, and socket.io then asserts the data is a
// list on its own goroutine: the panic ends the process. A binary packet
// announcing more attachments than maxAttachments is refused too.
func refusedBeforeTheLibrary(text []byte) error {
	if len(text) == 0 {
		return nil
	}
	switch parser.PacketType(text[0]) {
	case parser.EVENT, parser.ACK:
		if !hasArguments(text[1:]) {
			return errNoArguments
		}
	case parser.BINARY_EVENT, parser.BINARY_ACK:
		n, ok := attachmentCount(text)
		if !ok {
			return nil // the library refuses it
		}
		if n > maxAttachments {
			return errTooManyAttachments
		}
		if !hasArguments(text[bytes.IndexByte(text, '-')+1:]) {
			return errNoArguments
		}
	}
	return nil
}

// hasArguments reports whether anything follows a packet's namespace and
// ack id, read as the library's decoder reads them: "/nsp," (a namespace
// without its comma takes the rest), then digits.
func hasArguments(rest []byte) bool {
	if len(rest) > 0 && rest[0] == '/' {
		i := bytes.IndexByte(rest, ',')
		if i < 0 {
			return false
		}
		rest = rest[i+1:]
	}
	for len(rest) > 0 && rest[0] >= '0' && rest[0] <= '9' {
		rest = rest[1:]
	}
	return len(rest) > 0
}

// maxAttachments bounds the binary attachments one packet may announce. The
// library's decoder keeps every attachment until the announced count arrives,
// with no bound: "51000000-[...]" followed by megabyte frames would grow the
// heap until the process dies. No client of the contract sends binary events;
// socket.io-client sends one attachment per binary argument.
const maxAttachments = 16

// attachmentCount reads the count of a binary packet's "<type><count>-"
// prefix; ok is false when there is none (the library's decoder refuses it).
func attachmentCount(text []byte) (n uint64, ok bool) {
	i := 1
	for i < len(text) && text[i] >= '0' && text[i] <= '9' {
		i++
	}
	if i == 1 || i == len(text) || text[i] != '-' {
		return 0, false
	}
	n, err := strconv.ParseUint(string(text[1:i]), 10, 64)
	if err != nil {
		return math.MaxUint64, true // more than any bound
	}
	return n, true
}

// textOf is a text message's bytes (nil for binary data).
func textOf(data any) []byte {
	switch v := data.(type) {
	case *types.StringBuffer:
		return v.Bytes()
	case string:
		return []byte(v)
	}
	return nil
}

// decodeEventText decodes `2[/nsp,][id][...]` as the library's decoder does,
// or reports false for anything else or anything it would not accept as it is.
func decodeEventText(b []byte) (*parser.Packet, bool) {
	if len(b) < 2 || b[0] != byte(parser.EVENT) {
		return nil, false
	}
	p := &parser.Packet{Type: parser.EVENT, Nsp: "/"}
	i := 1
	if b[i] == '/' {
		end := i
		for end < len(b) && b[end] != ',' {
			end++
		}
		if end == len(b) {
			return nil, false // a namespace and nothing else
		}
		p.Nsp = string(b[i:end])
		i = end + 1
	}
	start := i
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	if i > start {
		id, err := strconv.ParseUint(string(b[start:i]), 10, 64)
		if err != nil {
			return nil, false
		}
		p.Id = &id
	}
	var args []any
	if i == len(b) || json.Unmarshal(b[i:], &args) != nil || len(args) == 0 {
		return nil, false
	}
	if name, ok := args[0].(string); !ok || parser.RESERVED_EVENTS.Has(name) {
		return nil, false
	}
	p.Data = args
	return p, true
}
