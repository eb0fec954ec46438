package wstransport

import (
	"bytes"
	"errors"
	"testing"

	"github.com/zishang520/engine.io-go-parser/parser"
	"github.com/zishang520/engine.io-go-parser/types"
)

// maxHeader is the longest client frame header: 2 bytes, a 64-bit length, the mask.
const maxHeader = 2 + 8 + 4

// parseResult is what the parser made of a whole stream.
type parseResult struct {
	got      recorded
	consumed int
	err      error
}

// parseAll feeds stream to a fresh parser in pieces of at most step bytes
// (0: all at once), as the poller does, keeping the unconsumed tail, and checks
// on every call what the reader relies on: need is reported only for an
// incomplete frame, is larger than what is held, and never exceeds what the
// limit allows (the reader allocates it; a control frame may be 125 bytes).
func parseAll(t *testing.T, stream []byte, limit int64, step int) parseResult {
	t.Helper()
	in := inbound{limit: limit}
	var res parseResult
	var buf []byte
	for i := 0; i < len(stream) || i == 0; {
		end := len(stream)
		if step > 0 {
			end = min(i+step, len(stream))
		}
		buf = append(buf, stream[i:end]...)
		i = end
		consumed, need, err := in.parse(buf, &res.got)
		res.consumed += consumed
		if err != nil {
			var fe *frameError
			if !errors.As(err, &fe) {
				t.Fatalf("parse error %v is not a frame error", err)
			}
			res.err = err
			return res
		}
		buf = buf[consumed:]
		if len(buf) > 0 && need <= len(buf) {
			t.Fatalf("an incomplete frame of %d bytes reports need %d", len(buf), need)
		}
		if int64(need) > max(limit, maxControlPayload)+maxHeader { // control frames may carry 125 bytes

			t.Fatalf("need %d for a stream limited to %d-byte messages", need, limit)
		}
		if i == len(stream) {
			break
		}
	}
	return res
}

// Any byte stream: the parser never panics, never delivers a message over the
// limit, never asks the reader for more than the limit allows, and makes the
// same of the stream however it arrives in pieces.
func FuzzInboundParse(f *testing.F) {
	f.Add(maskedFrame(finBit|opText, []byte(`42["send_message",{"room_id":1,"content":"hi"}]`)), uint16(1000), uint8(1))
	f.Add(append(maskedFrame(opText, []byte(`42["he`)), append(maskedFrame(finBit|opPing, nil), maskedFrame(finBit|opContinuation, []byte(`llo"]`))...)...), uint16(100), uint8(3))
	f.Add(maskedFrame(finBit|opBinary, bytes.Repeat([]byte{7}, 300)), uint16(500), uint8(0))
	f.Add(maskedFrame(finBit|opClose, []byte{0x03, 0xE8}), uint16(10), uint8(1))
	f.Add([]byte{finBit | opBinary, maskBit | 127, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3, 4}, uint16(10), uint8(0))
	// A fragment, then a continuation whose 64-bit length wraps the limit
	// check around to zero (2^64 - 2).
	f.Add(append(maskedFrame(opText, []byte("ab")), finBit|opContinuation, maskBit|127, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE, 0, 0, 0, 0), uint16(10), uint8(0))
	f.Fuzz(func(t *testing.T, stream []byte, limit16 uint16, step uint8) {
		limit := int64(limit16) + 1
		whole := parseAll(t, bytes.Clone(stream), limit, 0)
		for _, m := range whole.got.messages {
			if int64(len(m)) > limit {
				t.Fatalf("delivered a %d-byte message over the %d-byte limit", len(m), limit)
			}
		}
		for _, c := range whole.got.controls {
			if c != opClose && c != opPing && c != opPong {
				t.Fatalf("control opcode %#x delivered", c)
			}
		}
		pieces := parseAll(t, bytes.Clone(stream), limit, int(step)+1)
		if (whole.err == nil) != (pieces.err == nil) || whole.consumed != pieces.consumed ||
			!equalMessages(whole.got, pieces.got) {
			t.Fatalf("whole: %d consumed, err %v, %q; in %d-byte pieces: %d consumed, err %v, %q",
				whole.consumed, whole.err, whole.got.messages, int(step)+1, pieces.consumed, pieces.err, pieces.got.messages)
		}
	})
}

func equalMessages(a, b recorded) bool {
	if !bytes.Equal(a.opcodes, b.opcodes) || !bytes.Equal(a.controls, b.controls) || len(a.messages) != len(b.messages) {
		return false
	}
	for i := range a.messages {
		if !bytes.Equal(a.messages[i], b.messages[i]) {
			return false
		}
	}
	return true
}

// A message a client sends, whole or in fragments, with pings between them,
// comes out as it went in.
func FuzzInboundRoundTrip(f *testing.F) {
	f.Add([]byte(`42["send_message",{"room_id":1,"content":"héllo"}]`), true, uint8(0))
	f.Add([]byte("2probe"), true, uint8(2))
	f.Add(bytes.Repeat([]byte{0, 0xFF}, 200), false, uint8(7))
	f.Add([]byte{}, true, uint8(1))
	f.Fuzz(func(t *testing.T, payload []byte, text bool, fragment uint8) {
		op := opBinary
		if text {
			op = opText
		}
		var stream []byte
		size := int(fragment)
		if size == 0 || size >= len(payload) {
			stream = maskedFrame(finBit|op, payload)
		} else {
			for i := 0; i < len(payload); i += size {
				end := min(i+size, len(payload))
				b0 := opContinuation
				if i == 0 {
					b0 = op
				}
				if end == len(payload) {
					b0 |= finBit
				}
				stream = append(stream, maskedFrame(b0, payload[i:end])...)
				stream = append(stream, maskedFrame(finBit|opPong, []byte("p"))...)
			}
		}
		res := parseAll(t, stream, int64(len(payload))+1, 0)
		if res.err != nil || res.consumed != len(stream) {
			t.Fatalf("consumed %d of %d, err %v", res.consumed, len(stream), res.err)
		}
		if len(res.got.messages) != 1 || res.got.opcodes[0] != op || !bytes.Equal(res.got.messages[0], payload) {
			t.Fatalf("got %q (opcodes %v), want %q", res.got.messages, res.got.opcodes, payload)
		}
	})
}

// Our Engine.IO v4 text frame decoder makes of any frame what the library's
// parser makes of it, and leaves to the parser everything else (v3, binary
// frames, base64 payloads, unknown types).
func FuzzDecodeTextPacket(f *testing.F) {
	for _, s := range []string{"0", "2", "2probe", "3probe", "5", "6", `40{"token":"abc"}`, `40/admin,{"token":"x"}`,
		`42["send_message",{"room_id":1,"content":"héllo 😀"}]`, `421["join_room",{"room_id":2}]`, "bAQID", "9", "", "4\xff\xfe"} {
		f.Add([]byte(s), true, uint8(4))
	}
	f.Add([]byte(`42["x"]`), true, uint8(3))
	f.Add([]byte{4, 1, 2, 3}, false, uint8(4))
	f.Fuzz(func(t *testing.T, payload []byte, text bool, protocol uint8) {
		op := opBinary
		if text {
			op = opText
		}
		frame := bytes.Clone(payload)
		got, ok := decodeTextPacket(int(protocol), op, frame)
		if !ok {
			if got != nil {
				t.Fatalf("not decoded, but returned %v", got)
			}
			if protocol == 4 && text && len(payload) > 0 && payload[0] != 'b' && payload[0] >= '0' && payload[0] <= '6' {
				t.Fatalf("%q: a v4 text packet left to the parser", payload)
			}
			return
		}
		if protocol != 4 || !text {
			t.Fatalf("decoded a frame of protocol %d, text %v", protocol, text)
		}
		want, err := parser.Parserv4().DecodePacket(types.NewStringBuffer(bytes.Clone(payload)))
		if err != nil {
			t.Fatalf("%q: decoded, but the parser refuses it: %v", payload, err)
		}
		for i := range frame {
			frame[i] = 'x' // the read buffer is reused for the next frame
		}
		wantData, isText := want.Data.(*types.StringBuffer)
		if got.Type != want.Type || !isText || !bytes.Equal(got.Data.(*types.StringBuffer).Bytes(), wantData.Bytes()) {
			t.Fatalf("%q: decoded %v %q, the parser %v %v", payload, got.Type, got.Data, want.Type, want.Data)
		}
	})
}
