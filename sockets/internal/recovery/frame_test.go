package recovery

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zishang520/engine.io/v2/types"
	"github.com/zishang520/socket.io-go-parser/v2/parser"
	"github.com/zishang520/socket.io/v2/socket"

	"github.com/izpochat/server/chat"
)

// libraryText is what the library's encoder writes for an event packet.
func libraryText(t *testing.T, nsp string, data []any) string {
	t.Helper()
	enc := parser.NewEncoder().Encode(&parser.Packet{Type: parser.EVENT, Nsp: nsp, Data: data})
	if len(enc) != 1 {
		t.Fatalf("library encoded %d buffers", len(enc))
	}
	return enc[0].String()
}

// appenderView encodes itself, as the doors' views do (jsonAppender): the
// frame encoder takes that path for it.
type appenderView struct {
	MessageID int64     `json:"message_id"`
	Status    string    `json:"status"`
	Timestamp chat.Time `json:"timestamp"`
}

func (v appenderView) AppendJSON(b []byte) []byte {
	b = append(b, `{"message_id":`...)
	b = strconv.AppendInt(b, v.MessageID, 10)
	b = append(b, `,"status":`...)
	b = chat.AppendJSONString(b, v.Status)
	b = append(b, `,"timestamp":`...)
	b = v.Timestamp.AppendJSON(b)
	return append(b, '}')
}

// textArgs are events the frame encoder writes itself, every kind of argument.
func textArgs() map[string][]any {
	at := chat.Time(time.Date(2026, 11, 29, 12, 0, 0, 123456000, time.UTC))
	url, fileID := "/uploads/a.png", int64(9)
	msg := &chat.Message{ID: 7, Type: "text", Content: "hi \"there\" <b>&\u2028\x01", UserID: 2, Username: "zoë",
		RoomID: 3, CreatedAt: at, Timestamp: at, FileURL: &url, FileID: &fileID,
		Sender: chat.UserRef{ID: 2, Username: "zoë", FullName: "Zoë Z"}}
	sent := appenderView{MessageID: 7, Status: "success", Timestamp: at}
	return map[string][]any{
		"message":           {"new_message", msg},
		"message by value":  {"new_message", *msg},
		"message_sent":      {"message_sent", sent},
		"message_sent ptr":  {"message_sent", &sent},
		"map":               {"user_joined", map[string]any{"user_id": 1, "rooms": []any{"a", 2.5, nil}}},
		"name only":         {"ping"},
		"empty":             {},
		"many":              {"ev", 1, "two <&>", true, nil, []int{3}},
		"struct with bytes": {"ev", struct{ B []byte }{[]byte{1, 2}}}, // base64, as the library does
		"nil message":       {"new_message", (*chat.Message)(nil)},
	}
}

// The frame is "4" and then, byte for byte, the library's encoding of the
// stamped packet, in the main namespace and another; argsAt is where the
// stamped arguments' JSON starts.
func TestEventFrameIsTheLibrarysEncoding(t *testing.T) {
	const offset = "0a1b2c3d-2s"
	var e frameEncoder
	for name, data := range textArgs() {
		stamped := append(append([]any{}, data...), offset)
		for _, nsp := range []string{"/", "/admin"} {
			frame, argsAt, ok := e.encode(nsp, data, offset)
			if !ok {
				t.Fatalf("%s: not encoded", name)
			}
			if want := "4" + libraryText(t, nsp, stamped); string(frame) != want {
				t.Errorf("%s in %s:\n got %s\nwant %s", name, nsp, frame, want)
			}
			if want, _ := json.Marshal(stamped); string(frame[argsAt:]) != string(want) {
				t.Errorf("%s in %s: arguments at %d: %s", name, nsp, argsAt, frame[argsAt:])
			}
			if cap(frame) != len(frame) {
				t.Errorf("%s: frame of %d bytes holds %d", name, len(frame), cap(frame))
			}
		}
	}
}

// Arguments the library would not encode as plain JSON are left to it.
func TestEventFrameLeavesBinaryAndReadersToTheLibrary(t *testing.T) {
	var e frameEncoder
	for name, data := range map[string][]any{
		"bytes":           {"file", []byte{1, 2, 3}},
		"nested bytes":    {"file", map[string]any{"data": []any{[]byte{1}}}},
		"reader":          {"ev", strings.NewReader("x")},
		"string buffer":   {"ev", types.NewStringBufferString("x")},
		"not json at all": {"ev", math.Inf(1)},
	} {
		if frame, _, ok := e.encode("/", data, "o-1"); ok {
			t.Errorf("%s: encoded as %s", name, frame)
		}
	}
}

func first[A, B any](a A, _ B) A { return a }

// A recovering socket gets what it missed exactly as it was sent: kept as the
// frame, or as values when the arguments are binary.
func TestRestoredPacketsEncodeAsTheyWereSent(t *testing.T) {
	a := &recoveryAdapter{window: time.Minute, maxPackets: 100, prefix: "p-",
		sessions: newKeptSessions()}
	start := first(a.record([]any{"ev", 0}, audience{}))
	sent := map[string][]any{}
	for _, data := range textArgs() {
		offset, frame := a.record(data, audience{})
		if frame == nil {
			t.Fatalf("%v: kept without a frame", data)
		}
		sent[offset] = data
	}
	binary := []any{"file", []byte{1, 2, 3}}
	binaryOffset, frame := a.record(binary, audience{})
	if frame != nil {
		t.Fatalf("binary event got a text frame %s", frame)
	}
	a.sessions.keep(&socket.SessionToPersist{Pid: "s", Rooms: types.NewSet[socket.Room]("r")}, time.Now())
	s, err := a.RestoreSession("s", start)
	if err != nil || s == nil {
		t.Fatalf("restore: %v, %v", s, err)
	}
	missed, ok := a.missed(s.Data.(*Pending), "sid", []socket.Room{"r"})
	if !ok || len(missed) != len(sent)+1 {
		t.Fatalf("missed: %d packets, %v", len(missed), ok)
	}
	for _, packet := range missed[:len(sent)] {
		var offset string
		if err := json.Unmarshal(packet[len(packet)-1].(json.RawMessage), &offset); err != nil {
			t.Fatal(err)
		}
		want := libraryText(t, "/", append(append([]any{}, sent[offset]...), offset))
		if got := libraryText(t, "/", packet); got != want {
			t.Errorf("restored %s, sent %s", got, want)
		}
	}
	last := missed[len(sent)]
	if len(last) != 3 || last[2] != binaryOffset || string(last[1].([]byte)) != "\x01\x02\x03" {
		t.Fatalf("binary packet restored as %v", last)
	}
}
