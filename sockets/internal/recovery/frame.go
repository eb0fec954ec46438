package recovery

import (
	"encoding/json"
	"io"
	"reflect"

	"github.com/zishang520/socket.io-go-parser/v2/parser"

	"github.com/izpochat/server/chat"
)

// A broadcast event is encoded once, straight into the websocket frame every
// recipient gets, and the recovery adapter keeps that same frame: tens of
// thousands of kept packets are then byte slices the garbage collector does not
// scan, instead of message structs and strings it marks on every cycle.

// jsonAppender is a value that appends its own encoding, byte for byte what
// json.Marshal writes for it (chat.Message, our views): no reflection, no
// intermediate buffer.
type jsonAppender interface {
	AppendJSON(b []byte) []byte
}

// frameEncoder builds event frames in a scratch buffer it keeps (one per
// recovery adapter, used under its lock), then copies each out at its size.
type frameEncoder struct {
	scratch []byte
}

// encode returns the websocket text frame of an event of namespace nsp with
// arguments data and the recovery offset as one more: the Engine.IO message
// type, then what the library's encoder writes for the stamped packet. argsAt
// is where the arguments' JSON array starts. ok is false when the library
// would not write data as plain JSON (binary attachments, readers it converts
// first) or the data cannot be encoded. Offsets are hex and base-36 digits and
// a dash, which need no escaping.
func (e *frameEncoder) encode(nsp string, data []any, offset string) (frame []byte, argsAt int, ok bool) {
	if !plainJSON(data) {
		return nil, 0, false
	}
	b := append(e.scratch[:0], '4', byte(parser.EVENT))
	if nsp != "" && nsp != "/" {
		b = append(append(b, nsp...), ',')
	}
	argsAt = len(b)
	b = append(b, '[')
	for _, v := range data {
		if b, ok = appendArg(b, v); !ok {
			return nil, 0, false
		}
		b = append(b, ',')
	}
	b = append(append(append(b, '"'), offset...), '"', ']')
	if cap(b) <= maxScratch { // a rare huge event's buffer is not kept
		e.scratch = b
	}
	// An exact-size copy: it lives as long as the recovery window keeps it.
	return append(make([]byte, 0, len(b)), b...), argsAt, true
}

const maxScratch = 64 << 10

// appendArg appends one argument as json.Marshal encodes it.
func appendArg(b []byte, v any) ([]byte, bool) {
	switch v := v.(type) {
	case string:
		return chat.AppendJSONString(b, v), true
	case jsonAppender:
		// A nil pointer cannot append itself; json.Marshal writes null.
		if rv := reflect.ValueOf(v); rv.Kind() != reflect.Pointer || !rv.IsNil() {
			return v.AppendJSON(b), true
		}
	}
	enc, err := json.Marshal(v)
	if err != nil {
		return b, false
	}
	return append(b, enc...), true
}

// plainJSON reports whether the library's encoder encodes v with encoding/json
// as it is: it walks []any and map[string]any for binary values and readers
// (parser.HasBinary, and the copy that turns readers into strings).
func plainJSON(v any) bool {
	switch v := v.(type) {
	case []any:
		for _, item := range v {
			if !plainJSON(item) {
				return false
			}
		}
	case map[string]any:
		for _, item := range v {
			if !plainJSON(item) {
				return false
			}
		}
	case []byte, io.Reader:
		return false
	}
	return true
}

// missedPacket is a kept packet as a recovering socket gets it: the arguments
// it was sent with and its offset, each as the JSON it was sent as when the
// frame was kept. False if the kept frame does not decode (it always should:
// it was encoded here).
func (k *keptPacket) missedPacket(offset string) ([]any, bool) {
	if k.frame == nil {
		return append(append(make([]any, 0, len(k.data)+1), k.data...), offset), true
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(k.frame[k.argsAt:], &raw); err != nil {
		return nil, false
	}
	out := make([]any, len(raw))
	for i, arg := range raw {
		out[i] = arg
	}
	return out, true
}
