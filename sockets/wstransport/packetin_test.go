package wstransport

import (
	"testing"

	"github.com/zishang520/engine.io-go-parser/parser"
	"github.com/zishang520/engine.io-go-parser/types"
)

// Text frames of Engine.IO v4 decode to what the library's parser makes of
// them, and the packet keeps its own copy of the read buffer.
func TestDecodeTextPacketMatchesTheParser(t *testing.T) {
	for _, frame := range []string{
		"0", "1", "2", "2probe", "3", "3probe", "5", "6",
		`40{"token":"abc"}`,
		`42["send_message",{"room_id":1,"content":"héllo 日本 😀 \" \\ "}]`,
		`421["join_room",{"room_id":2}]`,
		"4" + string(make([]byte, 3000)),
	} {
		want, err := parser.Parserv4().DecodePacket(types.NewStringBuffer([]byte(frame)))
		if err != nil {
			t.Fatalf("%.20q: the parser failed: %v", frame, err)
		}
		payload := []byte(frame)
		got, ok := decodeTextPacket(4, opText, payload)
		if !ok {
			t.Fatalf("%.20q: not decoded", frame)
		}
		for i := range payload {
			payload[i] = 'x' // the read buffer is reused for the next frame
		}
		if got.Type != want.Type || got.Data.(*types.StringBuffer).String() != want.Data.(*types.StringBuffer).String() {
			t.Fatalf("%.20q: decoded %v %.30q, the parser %v %.30q", frame, got.Type, got.Data, want.Type, want.Data)
		}
	}
}

// What the parser treats differently, or rejects, is left to it.
func TestDecodeTextPacketLeavesTheRestToTheParser(t *testing.T) {
	for _, c := range []struct {
		name     string
		protocol int
		opcode   byte
		payload  string
	}{
		{"binary frame", 4, opBinary, "4abc"},
		{"base64 binary", 4, opText, "bAQID"},
		{"Engine.IO v3", 3, opText, `42["x"]`},
		{"unknown type", 4, opText, "9"},
		{"empty", 4, opText, ""},
	} {
		if p, ok := decodeTextPacket(c.protocol, c.opcode, []byte(c.payload)); ok || p != nil {
			t.Errorf("%s: decoded %v, want it left to the parser", c.name, p)
		}
	}
}
