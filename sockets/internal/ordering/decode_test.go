package ordering

import (
	"reflect"
	"testing"

	"github.com/zishang520/engine.io/v2/types"
	"github.com/zishang520/socket.io-go-parser/v2/parser"

	"github.com/izpochat/server/config"
)

// libraryDecode is what the library's decoder makes of one text message: the
// packet it emits, or its error.
func libraryDecode(t *testing.T, text string) (*parser.Packet, error) {
	t.Helper()
	d := parser.NewDecoder()
	var got *parser.Packet
	_ = d.On("decoded", func(args ...any) { got = args[0].(*parser.Packet) })
	err := d.Add(types.NewStringBufferString(text))
	return got, err
}

// Whatever our decoder decodes itself, it decodes as the library does; what it
// does not, it leaves to the library.
func TestDecodeEventTextIsTheLibrarysDecoding(t *testing.T) {
	ours := []string{
		`2["send_message",{"room_id":1,"content":"hi \u00e9 \"q\""}]`,
		`2/admin,["ev"]`,
		`212["ev",1]`,
		`2/admin,7["ev",{"a":[1,2.5,-3e2,null,true,"x"],"b":{}}]`,
		`2["ev","invalid \ud800 surrogate","` + "\xff" + `"]`,
		`2["ev", 1 ]`,
	}
	theirs := []string{
		`2["ev",1] trailing`,              // the library ignores what follows the value
		`2["connect"]`,                    // reserved: refused
		`2[]`, `2{}`, `2"x"`, `2[1]`, `2`, // not an event
		`2/admin`,                         // a namespace only
		`299999999999999999999999["ev"]`,  // id out of range
		`2["ev"`,                          // cut short
		`3["ack"]`, `0{"token":"x"}`, `1`, // other types
		`51-["ev",{"_placeholder":true,"num":0}]`,
	}
	for _, text := range ours {
		p, ok := decodeEventText([]byte(text))
		if !ok {
			t.Errorf("%s: not decoded", text)
			continue
		}
		want, err := libraryDecode(t, text)
		if err != nil || !reflect.DeepEqual(p, want) {
			t.Errorf("%s:\n got %#v\nwant %#v (%v)", text, p, want, err)
		}
	}
	for _, text := range theirs {
		if p, ok := decodeEventText([]byte(text)); ok {
			t.Errorf("%s: decoded as %#v, should be left to the library", text, p)
		}
	}
}

// decodedBy collects what an ordered decoder emits (tickets removed).
func decodedBy(d *orderedDecoder) *[]*parser.Packet {
	var got []*parser.Packet
	_ = d.On("decoded", func(args ...any) {
		p := args[0].(*parser.Packet)
		var ticket *Ticket
		if data, ok := p.Data.([]any); ok {
			ticket, _, p.Data = Take(data)
		}
		got = append(got, p)
		if ticket != nil {
			ticket.Release() // done, as the router's worker would be: held events follow
		}
	})
	return &got
}

// releaseTicket marks a decoded event done, as the router's worker does once
// it has handled it; the decoder holds events beyond maxInFlight until then.
func releaseTicket(p *parser.Packet) {
	if data, ok := p.Data.([]any); ok && len(data) > 0 {
		if t, ok := data[len(data)-1].(*Ticket); ok {
			t.Release()
		}
	}
}

// While a binary event's attachments are awaited, a text event is refused as
// the library refuses it, and the binary event still completes; afterwards
// text events are decoded again.
func TestOrderedDecoderKeepsBinaryReconstruction(t *testing.T) {
	d := newOrderedDecoder(parser.NewDecoder(), config.RateLimit{}, testMaxWait)
	got := decodedBy(d)
	if err := d.Add(types.NewStringBufferString(`51-["file",{"_placeholder":true,"num":0}]`)); err != nil {
		t.Fatal(err)
	}
	if err := d.Add(types.NewStringBufferString(`2["ev"]`)); err == nil {
		t.Fatal("a text event was accepted in the middle of a binary one")
	}
	if err := d.Add([]byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	if err := d.Add(types.NewStringBufferString(`2["after",1]`)); err != nil {
		t.Fatal(err)
	}
	if len(*got) != 2 {
		t.Fatalf("decoded %d packets, want the binary event and the one after", len(*got))
	}
	bin, after := (*got)[0], (*got)[1]
	if bin.Type != parser.BINARY_EVENT || len(bin.Data.([]any)) != 2 {
		t.Fatalf("binary event decoded as %#v", bin)
	}
	if !reflect.DeepEqual(after.Data, []any{"after", 1.0}) {
		t.Fatalf("event after it decoded as %#v", after.Data)
	}
	// An event the fast path leaves to the library still arrives.
	if err := d.Add(types.NewStringBufferString(`2["late",2] trailing`)); err != nil || len(*got) != 3 {
		t.Fatalf("left to the library: %v, %d packets", err, len(*got))
	}
}

// Past the connection's budget, events are marked refused (no ticket) while
// refusals are answered, then dropped before they are emitted at all; acks
// past it are dropped. Within the budget, events get their tickets in order.
func TestOrderedDecoderChargesTheBudgetBeforeEmitting(t *testing.T) {
	const burst = 5
	d := newOrderedDecoder(parser.NewDecoder(), config.RateLimit{EventsPerSecond: 0.001, Burst: burst}, testMaxWait)
	var tickets, refused, others int
	_ = d.On("decoded", func(args ...any) {
		p := args[0].(*parser.Packet)
		data, _ := p.Data.([]any)
		if len(data) == 0 {
			others++
			return
		}
		switch data[len(data)-1].(type) {
		case *Ticket:
			tickets++
			releaseTicket(p)
		case refusedEvent:
			refused++
		default:
			others++
		}
	})
	for i := range 500 {
		packet := `2["typing",{"typing":true}]`
		if i%2 == 1 {
			packet = `2["typing",{"typing":true}] ` // left to the library's decoder
		}
		if err := d.Add(types.NewStringBufferString(packet)); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Add(types.NewStringBufferString(`31[{"ok":true}]`)); err != nil {
		t.Fatal(err)
	}
	if tickets != burst || refused != minAnsweredBurst || others != 0 {
		t.Fatalf("%d with tickets, %d refused, %d other of 500 events and an ack; want %d, %d, 0",
			tickets, refused, others, burst, minAnsweredBurst)
	}
	// CONNECT is never charged.
	if err := d.Add(types.NewStringBufferString(`0/rooms/1,{"token":"x"}`)); err != nil || others != 1 {
		t.Fatalf("CONNECT over the budget: %v, %d emitted", err, others)
	}
}
