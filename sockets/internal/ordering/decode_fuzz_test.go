package ordering

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/zishang520/engine.io/v2/types"
	"github.com/zishang520/socket.io-go-parser/v2/parser"

	"github.com/izpochat/server/config"
)

// What our event decoder decodes, it decodes exactly as the library's decoder
// does (decode.go claims it); it only ever takes plain text EVENTs.
func FuzzDecodeEventText(f *testing.F) {
	for _, s := range []string{
		`2["send_message",{"room_id":1,"content":"hi"}]`,
		`2["join_room",{"room_id":"7"}]`,
		`2/rooms/3,["message",{"content":"x","file_id":2}]`,
		`2/rooms/3,12["typing",{"typing":false}]`,
		`2["ev","\ud800","` + "\xff" + `"]`,
		`2["ev",1] trailing`, `2["connect"]`, `2[]`, `2/admin`, `299999999999999999999999["ev"]`,
		`2/,["ev"]`, `2 ["ev"]`, `2["ev",{"_placeholder":true,"num":0}]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		p, ok := decodeEventText(bytes.Clone(text))
		if !ok {
			if p != nil {
				t.Fatalf("not decoded, but returned %#v", p)
			}
			return
		}
		if p.Type != parser.EVENT || !strings.HasPrefix(p.Nsp, "/") {
			t.Fatalf("%q: decoded as type %v namespace %q", text, p.Type, p.Nsp)
		}
		args, isList := p.Data.([]any)
		if !isList || len(args) == 0 {
			t.Fatalf("%q: data %#v", text, p.Data)
		}
		if name, isName := args[0].(string); !isName || parser.RESERVED_EVENTS.Has(name) {
			t.Fatalf("%q: event name %#v accepted", text, args[0])
		}
		want, err := libraryDecode(t, string(text))
		if err != nil || !reflect.DeepEqual(p, want) {
			t.Fatalf("%q:\n ours    %#v\n library %#v (%v)", text, p, want, err)
		}
	})
}

// decoderRun is what a decoder made of a sequence of messages.
type decoderRun struct {
	packets []*parser.Packet
	errs    []bool
}

// messagesOf splits a fuzzed stream into Engine.IO messages: records end at
// 0x1e; a record starting with 0x00 is a binary message (its attachments).
func messagesOf(stream []byte) []any {
	var out []any
	for _, rec := range bytes.Split(stream, []byte{0x1e}) {
		if len(rec) > 0 && rec[0] == 0 {
			out = append(out, bytes.Clone(rec[1:]))
			continue
		}
		out = append(out, types.NewStringBuffer(bytes.Clone(rec)))
	}
	return out
}

// The connection's decoder (our fast path in front of the library's decoder,
// with order tickets) emits, message for message, exactly what the library's
// decoder alone emits, errors included: binary events and their attachments,
// acks, connects, namespaces and ack ids.
func FuzzOrderedDecoder(f *testing.F) {
	rs := "\x1e"
	for _, s := range []string{
		`0{"token":"abc"}` + rs + `2["send_message",{"room_id":1,"content":"hi"}]`,
		`0/rooms/1,{"token":"abc"}` + rs + `2/rooms/1,5["message",{"content":"x"}]` + rs + `1/rooms/1,`,
		`51-["file",{"_placeholder":true,"num":0}]` + rs + "\x00\x01\x02" + rs + `2["after",1]`,
		`52-/admin,3["two",{"_placeholder":true,"num":1},{"_placeholder":true,"num":0}]` + rs + "\x00a" + rs + `2["in between"]` + rs + "\x00b",
		`61-7[{"_placeholder":true,"num":0}]` + rs + "\x00x",
		`3/admin,9["ack"]` + rs + `2["late",2] trailing`,
		`50-["zero"]` + rs + `2["ev"]`,
		`51-["bad",{"_placeholder":true,"num":5}]` + rs + "\x00z" + rs + `2["ev"]`,
		"\x00stray binary" + rs + `2["ev"]`,
		`2["connect"]` + rs + `9` + rs + `2/a,` + rs + `4{"message":"x"}`,
		`2["before"]` + rs + `517-["many",{"_placeholder":true,"num":0}]` + rs + "\x00a",
		`51-["one",{"_placeholder":true,"num":0}]` + rs + `699999999999999999999-[]`,
		`2["ok"]` + rs + `2`, `2/admin,` + rs + `2["x"]`, `21` + rs + `3/a,7`, `51-` + rs + "\x00x", `50-/a,`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, stream []byte) {
		var ours, theirs decoderRun
		d := newOrderedDecoder(parser.NewDecoder(), config.RateLimit{}, testMaxWait) // no budget: compared with the library alone
		got := decodedBy(d)
		lib := parser.NewDecoder()
		_ = lib.On("decoded", func(args ...any) { theirs.packets = append(theirs.packets, args[0].(*parser.Packet)) })
		// Where we knowingly differ: packets the library accepts but must not
		// (events and acks without arguments, too many attachments) are
		// refused; compare up to the first. (Each decoder gets its own
		// buffers: decoding consumes them.)
		mine, libs := messagesOf(stream), messagesOf(stream)
		var refused any
		for k, m := range mine {
			if refusedBeforeTheLibrary(textOf(m)) != nil {
				refused, mine, libs = m, mine[:k], libs[:k]
				break
			}
		}
		for _, m := range mine {
			ours.errs = append(ours.errs, d.Add(m) != nil)
		}
		for _, m := range libs {
			theirs.errs = append(theirs.errs, lib.Add(m) != nil)
		}
		if refused != nil && d.Add(refused) == nil {
			t.Fatalf("%q: accepted", textOf(refused))
		}
		ours.packets = *got
		if !reflect.DeepEqual(ours.errs, theirs.errs) {
			t.Fatalf("%q: errors per message %v, the library's %v", stream, ours.errs, theirs.errs)
		}
		for _, p := range ours.packets {
			// socket.io asserts these carry a list: anything else panics on
			// its goroutine and ends the process.
			switch p.Type {
			case parser.EVENT, parser.BINARY_EVENT, parser.ACK, parser.BINARY_ACK:
				if _, isList := p.Data.([]any); !isList {
					t.Fatalf("%q: packet %s emitted with data %#v", stream, describe([]*parser.Packet{p}), p.Data)
				}
			}
		}
		if !reflect.DeepEqual(ours.packets, theirs.packets) {
			t.Fatalf("%q:\n ours    %s\n library %s", stream, describe(ours.packets), describe(theirs.packets))
		}
	})
}

func describe(ps []*parser.Packet) string {
	var b strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&b, "{type %v nsp %q id %v data %#v} ", p.Type, p.Nsp, p.Id, p.Data)
	}
	return b.String()
}
