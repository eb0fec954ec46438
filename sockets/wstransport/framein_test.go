package wstransport

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	ws "github.com/gorilla/websocket"
)

// maskedFrame builds a client frame: masked with a non-zero key, as browsers do.
func maskedFrame(b0 byte, payload []byte) []byte {
	key := []byte{0x12, 0x34, 0x56, 0x78}
	var f []byte
	switch n := len(payload); {
	case n < 126:
		f = append(f, b0, maskBit|byte(n))
	case n <= 0xFFFF:
		f = append(f, b0, maskBit|126)
		f = binary.BigEndian.AppendUint16(f, uint16(n))
	default:
		f = append(f, b0, maskBit|127)
		f = binary.BigEndian.AppendUint64(f, uint64(n))
	}
	f = append(f, key...)
	for i, c := range payload {
		f = append(f, c^key[i&3])
	}
	return f
}

type recorded struct {
	messages [][]byte
	opcodes  []byte
	controls []byte
}

func (r *recorded) onMessage(op byte, p []byte) {
	r.opcodes = append(r.opcodes, op)
	r.messages = append(r.messages, append([]byte(nil), p...))
}

func (r *recorded) onControl(op byte, _ []byte) error {
	r.controls = append(r.controls, op)
	return nil
}

func TestInboundParsesWholeAndSplitFrames(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 70_000) // 64-bit length class
	mid := bytes.Repeat([]byte("y"), 300)    // 16-bit length class
	var stream []byte
	stream = append(stream, maskedFrame(finBit|opText, []byte("42[\"a\"]"))...)
	stream = append(stream, maskedFrame(finBit|opPing, []byte("p"))...)
	stream = append(stream, maskedFrame(finBit|opBinary, mid)...)
	stream = append(stream, maskedFrame(finBit|opText, big)...)

	// Feed the stream in every split position class: byte by byte through the
	// headers, then the rest; the parser must report what it still needs.
	in := inbound{limit: 1 << 20}
	var got recorded
	var buf []byte
	for i := 0; i < len(stream); {
		step := 1
		if i > 400 {
			step = 4096
		}
		end := min(i+step, len(stream))
		buf = append(buf, stream[i:end]...)
		i = end
		consumed, need, err := in.parse(buf, &got)
		if err != nil {
			t.Fatalf("parse at %d: %v", i, err)
		}
		buf = buf[consumed:]
		if len(buf) > 0 && need <= len(buf) {
			t.Fatalf("incomplete frame of %d bytes reports need %d", len(buf), need)
		}
	}
	if len(buf) != 0 {
		t.Fatalf("%d bytes left unparsed", len(buf))
	}
	want := [][]byte{[]byte("42[\"a\"]"), mid, big}
	if len(got.messages) != len(want) {
		t.Fatalf("got %d messages, want %d", len(got.messages), len(want))
	}
	for i := range want {
		if !bytes.Equal(got.messages[i], want[i]) {
			t.Fatalf("message %d differs (len %d, want %d)", i, len(got.messages[i]), len(want[i]))
		}
	}
	if !bytes.Equal(got.opcodes, []byte{opText, opBinary, opText}) || !bytes.Equal(got.controls, []byte{opPing}) {
		t.Fatalf("opcodes %v controls %v", got.opcodes, got.controls)
	}
}

func TestInboundJoinsFragmentsAroundControlFrames(t *testing.T) {
	var stream []byte
	stream = append(stream, maskedFrame(opText, []byte("42[\"he"))...)
	stream = append(stream, maskedFrame(finBit|opPing, nil)...)
	stream = append(stream, maskedFrame(opContinuation, []byte("llo"))...)
	stream = append(stream, maskedFrame(finBit|opContinuation, []byte("\"]"))...)
	in := inbound{limit: 100}
	var got recorded
	consumed, _, err := in.parse(stream, &got)
	if err != nil || consumed != len(stream) {
		t.Fatalf("consumed %d of %d, err %v", consumed, len(stream), err)
	}
	if len(got.messages) != 1 || string(got.messages[0]) != "42[\"hello\"]" || got.opcodes[0] != opText {
		t.Fatalf("messages %q opcodes %v", got.messages, got.opcodes)
	}
	if in.msg != nil || in.msgOp != 0 {
		t.Fatal("fragment state kept after the message ended")
	}
}

func TestInboundRejectsBadFrames(t *testing.T) {
	unmasked := []byte{finBit | opText, 2, 'h', 'i'}
	cases := []struct {
		name   string
		stream []byte
		code   int
	}{
		{"unmasked", unmasked, ws.CloseProtocolError},
		{"reserved bits", maskedFrame(finBit|0x40|opText, []byte("x")), ws.CloseProtocolError},
		{"unknown opcode", maskedFrame(finBit|0x3, []byte("x")), ws.CloseProtocolError},
		{"fragmented ping", maskedFrame(opPing, nil), ws.CloseProtocolError},
		{"long ping", maskedFrame(finBit|opPing, bytes.Repeat([]byte("p"), 126)), ws.CloseProtocolError},
		{"stray continuation", maskedFrame(finBit|opContinuation, []byte("x")), ws.CloseProtocolError},
		{"interleaved message", append(maskedFrame(opText, []byte("a")), maskedFrame(finBit|opText, []byte("b"))...), ws.CloseProtocolError},
		{"too big", maskedFrame(finBit|opText, bytes.Repeat([]byte("z"), 11)), ws.CloseMessageTooBig},
		{"too big across fragments", append(maskedFrame(opText, bytes.Repeat([]byte("z"), 6)), maskedFrame(finBit|opContinuation, bytes.Repeat([]byte("z"), 6))...), ws.CloseMessageTooBig},
		// The declared length alone is refused, before the payload is awaited.
		{"huge declared length", []byte{finBit | opBinary, maskBit | 127, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3, 4}, ws.CloseMessageTooBig},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := inbound{limit: 10}
			var got recorded
			_, _, err := in.parse(c.stream, &got)
			var fe *frameError
			if !errors.As(err, &fe) || fe.code != c.code {
				t.Fatalf("err = %v, want frame error %d", err, c.code)
			}
			if len(got.messages) != 0 {
				t.Fatalf("delivered %q from a bad stream", got.messages)
			}
		})
	}
}

func TestMaxMessageSizeDefaultsToTheEngineDefault(t *testing.T) {
	if got := (Options{MaxMessageSize: -5}).withDefaults().MaxMessageSize; got != DefaultMaxMessageSize {
		t.Fatalf("MaxMessageSize = %d, want %d", got, DefaultMaxMessageSize)
	}
	if got := (Options{MaxMessageSize: 42}).withDefaults().MaxMessageSize; got != 42 {
		t.Fatalf("explicit MaxMessageSize replaced: %d", got)
	}
}
