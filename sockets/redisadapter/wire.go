package redisadapter

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/zishang520/engine.io/v2/types"
	"github.com/zishang520/socket.io-go-parser/v2/parser"
	"github.com/zishang520/socket.io/v2/adapter"
	"github.com/zishang520/socket.io/v2/socket"
)

// Request types of the Node @socket.io/redis-adapter (createAdapter) protocol.
const (
	reqSockets          = 0
	reqAllRooms         = 1
	reqRemoteJoin       = 2
	reqRemoteLeave      = 3
	reqRemoteDisconnect = 4
	reqRemoteFetch      = 5
	reqServerSideEmit   = 6
	reqBroadcast        = 7
	reqBroadcastCount   = 8
	reqBroadcastAck     = 9
)

// wirePacket is a socket.io packet as the Node adapter ships it: the numeric type
// (2 = event, 3 = ack; binary variants are the encoder's business), nsp, data, id.
type wirePacket struct {
	Type int     `msgpack:"type" json:"type"`
	Nsp  string  `msgpack:"nsp" json:"nsp"`
	Data any     `msgpack:"data,omitempty" json:"data,omitempty"`
	ID   *uint64 `msgpack:"id,omitempty" json:"id,omitempty"`
}

type wireFlags struct {
	Volatile  bool   `msgpack:"volatile,omitempty" json:"volatile,omitempty"`
	Compress  *bool  `msgpack:"compress,omitempty" json:"compress,omitempty"`
	Local     bool   `msgpack:"local,omitempty" json:"local,omitempty"`
	Broadcast bool   `msgpack:"broadcast,omitempty" json:"broadcast,omitempty"`
	Binary    bool   `msgpack:"binary,omitempty" json:"binary,omitempty"`
	Timeout   *int64 `msgpack:"timeout,omitempty" json:"timeout,omitempty"` // milliseconds
}

type wireOpts struct {
	Rooms  []string   `msgpack:"rooms" json:"rooms"`
	Except []string   `msgpack:"except" json:"except"`
	Flags  *wireFlags `msgpack:"flags,omitempty" json:"flags,omitempty"`
}

func packetToWire(p *parser.Packet) wirePacket {
	t := int(p.Type - '0')
	switch p.Type {
	case parser.BINARY_EVENT:
		t = int(parser.EVENT - '0')
	case parser.BINARY_ACK:
		t = int(parser.ACK - '0')
	}
	return wirePacket{Type: t, Nsp: p.Nsp, Data: plain(p.Data), ID: p.Id}
}

func packetFromWire(w wirePacket, nsp string) *parser.Packet {
	if w.Type < 0 || w.Type > 6 {
		return nil
	}
	return &parser.Packet{Type: parser.PacketType('0' + w.Type), Nsp: nsp, Data: w.Data, Id: w.ID}
}

func optsToWire(o *adapter.PacketOptions) wireOpts {
	w := wireOpts{Rooms: []string{}, Except: []string{}}
	if o == nil {
		return w
	}
	for _, r := range o.Rooms {
		w.Rooms = append(w.Rooms, string(r))
	}
	for _, r := range o.Except {
		w.Except = append(w.Except, string(r))
	}
	if f := o.Flags; f != nil {
		w.Flags = &wireFlags{Volatile: f.Volatile, Local: f.Local, Broadcast: f.Broadcast, Binary: f.Binary}
		if f.Compress {
			c := true
			w.Flags.Compress = &c
		}
		if f.Timeout != nil {
			ms := f.Timeout.Milliseconds()
			w.Flags.Timeout = &ms
		}
	}
	return w
}

func optsFromWire(w *wireOpts) *adapter.PacketOptions {
	o := &adapter.PacketOptions{}
	if w == nil {
		return o
	}
	for _, r := range w.Rooms {
		o.Rooms = append(o.Rooms, socket.Room(r))
	}
	for _, r := range w.Except {
		o.Except = append(o.Except, socket.Room(r))
	}
	if f := w.Flags; f != nil {
		o.Flags = &socket.BroadcastFlags{Broadcast: f.Broadcast, Binary: f.Binary}
		o.Flags.Volatile = f.Volatile
		o.Flags.Compress = f.Compress != nil && *f.Compress
		if f.Timeout != nil {
			d := time.Duration(*f.Timeout) * time.Millisecond
			o.Flags.Timeout = &d
		}
	}
	return o
}

// wireSocket is one socket in a fetchSockets response. Node sends header and
// query values as strings; Go keeps lists. We send strings (what Node code
// expects) and accept both.
type wireSocket struct {
	ID        string         `json:"id" msgpack:"id"`
	Handshake map[string]any `json:"handshake" msgpack:"handshake"`
	Rooms     []string       `json:"rooms" msgpack:"rooms"`
	Data      any            `json:"data" msgpack:"data"`
}

func socketToWire(s socket.SocketDetails) wireSocket {
	w := wireSocket{ID: string(s.Id()), Rooms: []string{}, Data: plain(s.Data())}
	if rooms := s.Rooms(); rooms != nil {
		for _, r := range rooms.Keys() {
			w.Rooms = append(w.Rooms, string(r))
		}
	}
	if h := s.Handshake(); h != nil {
		w.Handshake = map[string]any{
			"headers": joinValues(h.Headers), "time": h.Time, "address": h.Address, "xdomain": h.Xdomain,
			"secure": h.Secure, "issued": h.Issued, "url": h.Url, "query": joinValues(h.Query), "auth": plain(h.Auth),
		}
	}
	return w
}

func socketFromWire(w wireSocket) *adapter.SocketResponse {
	r := &adapter.SocketResponse{Id: socket.SocketId(w.ID), Data: w.Data}
	for _, room := range w.Rooms {
		r.Rooms = append(r.Rooms, socket.Room(room))
	}
	h := &socket.Handshake{Headers: splitValues(w.Handshake["headers"]), Query: splitValues(w.Handshake["query"]),
		Auth: w.Handshake["auth"]}
	h.Time, _ = w.Handshake["time"].(string)
	h.Address, _ = w.Handshake["address"].(string)
	h.Xdomain, _ = w.Handshake["xdomain"].(bool)
	h.Secure, _ = w.Handshake["secure"].(bool)
	h.Url, _ = w.Handshake["url"].(string)
	if n, ok := toInt64(w.Handshake["issued"]); ok {
		h.Issued = n
	}
	r.Handshake = h
	return r
}

func joinValues(m map[string][]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = strings.Join(v, ", ")
	}
	return out
}

func splitValues(v any) map[string][]string {
	out := map[string][]string{}
	m, _ := v.(map[string]any)
	for k, val := range m {
		switch x := val.(type) {
		case string:
			out[k] = []string{x}
		case []any:
			for _, e := range x {
				out[k] = append(out[k], fmt.Sprint(e))
			}
		case nil:
		default:
			out[k] = []string{fmt.Sprint(x)}
		}
	}
	return out
}

// plain turns Go values into the JSON-like tree both msgpack and the Node side
// understand: structs follow their json tags (and MarshalJSON), binary stays binary.
func plain(v any) any {
	switch x := v.(type) {
	case nil, string, bool, []byte,
		int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64:
		return x
	case types.BufferInterface:
		return x.Bytes()
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = plain(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = plain(e)
		}
		return out
	}
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return nil
	}
	return numbers(tree)
}

// numbers turns json.Number into int64 when integral, else float64.
func numbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n
		}
		f, _ := x.Float64()
		return f
	case []any:
		for i, e := range x {
			x[i] = numbers(e)
		}
	case map[string]any:
		for k, e := range x {
			x[k] = numbers(e)
		}
	}
	return v
}

func toInt64(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case uint64:
		return int64(n), true
	case float64:
		return int64(n), true
	case int:
		return int64(n), true
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	}
	return 0, false
}

func encodeMsgpack(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := msgpack.NewEncoder(&buf)
	enc.SetCustomStructTag("msgpack")
	enc.UseCompactInts(true)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// decodeWire decodes a Node adapter payload: JSON when it starts with '{' (how
// Node sends most requests and responses), MessagePack otherwise.
func decodeWire(body []byte, into any) error {
	if len(body) > 0 && body[0] == '{' {
		return json.Unmarshal(body, into)
	}
	dec := msgpack.NewDecoder(bytes.NewReader(body))
	dec.SetCustomStructTag("msgpack")
	dec.UseLooseInterfaceDecoding(true)
	return dec.Decode(into)
}

// msgpackRaw is one element of a MessagePack array, decoded later into its own type.
type msgpackRaw = msgpack.RawMessage

func decodeRaw(raw msgpackRaw, into any) error {
	dec := msgpack.NewDecoder(bytes.NewReader(raw))
	dec.SetCustomStructTag("msgpack")
	dec.UseLooseInterfaceDecoding(true)
	return dec.Decode(into)
}

// decodeLoose fills into from a tree decoded without a schema (JSON or MessagePack).
func decodeLoose(tree any, into any) error {
	body, err := json.Marshal(stringKeys(tree))
	if err != nil {
		return err
	}
	return json.Unmarshal(body, into)
}

// stringKeys makes maps JSON-encodable (MessagePack may decode map[any]any).
func stringKeys(v any) any {
	switch x := v.(type) {
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[fmt.Sprint(k)] = stringKeys(e)
		}
		return out
	case map[string]any:
		for k, e := range x {
			x[k] = stringKeys(e)
		}
	case []any:
		for i, e := range x {
			x[i] = stringKeys(e)
		}
	}
	return v
}
