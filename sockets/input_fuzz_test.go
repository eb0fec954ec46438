package sockets

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/izpochat/server/chat"
)

// The payload readers of every door (a Socket.IO event's argument, a raw
// WebSocket frame's JSON): ids they accept are positive and exactly what was
// sent, wrong types are refused as invalid input with a public message, and
// nothing panics.
func FuzzPayloadInput(f *testing.F) {
	for _, s := range []string{
		`{"room_id":1,"content":"hi"}`, `{"room_id":"7","content":"x","file_id":"3"}`,
		`{"type":"message","content":"hello","file_id":2}`, `{"type":"typing","typing":false}`, `{"type":"ping"}`,
		`{"room_id":1.5}`, `{"room_id":-1}`, `{"room_id":1e300}`, `{"room_id":" 42 "}`, `{"room_id":"+5"}`,
		`{"room_id":9223372036854775807}`, `{"room_id":"9223372036854775808"}`, `{"room_id":null}`, `{"room_id":[1]}`,
		`{"content":5}`, `{"file_id":0}`, `{"typing":"1"}`, `{"typing":null}`,
		`"{\"room_id\":2}"`, `"not json"`, `null`, `[]`, `42`, `{`, "\xff",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var payload any
		if json.Unmarshal(raw, &payload) != nil {
			return
		}
		m, roomID, err := roomObject(payload)
		if err != nil {
			assertInvalid(t, raw, err)
		} else {
			if m == nil || roomID <= 0 {
				t.Fatalf("%q: room %d from %#v", raw, roomID, m)
			}
			assertSameID(t, raw, m["room_id"], roomID)
		}
		if m == nil {
			m, _ = payload.(map[string]any)
		}
		if m == nil {
			return
		}
		in, err := postInput(m)
		switch {
		case err != nil:
			assertInvalid(t, raw, err)
		case in.FileID != nil:
			if *in.FileID <= 0 {
				t.Fatalf("%q: file id %d accepted", raw, *in.FileID)
			}
			assertSameID(t, raw, m["file_id"], *in.FileID)
		}
		if c, isString := m["content"].(string); err == nil && isString && in.Content != c {
			t.Fatalf("%q: content %q read as %q", raw, c, in.Content)
		}
		if v, present := m["typing"]; present && v == false && typingFlag(m) {
			t.Fatalf("%q: typing false read as true", raw)
		}
	})
}

// assertSameID checks an accepted id is the value the client sent.
func assertSameID(t *testing.T, raw []byte, sent any, id int64) {
	t.Helper()
	switch v := sent.(type) {
	case float64:
		if v != math.Trunc(v) || int64(v) != id || float64(id) != v {
			t.Fatalf("%q: %v read as %d", raw, v, id)
		}
	case string:
		want, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || want != id {
			t.Fatalf("%q: %q read as %d", raw, v, id)
		}
	default:
		t.Fatalf("%q: id of type %T accepted", raw, sent)
	}
}

func assertInvalid(t *testing.T, raw []byte, err error) {
	t.Helper()
	if chat.KindOf(err) != chat.KindInvalid || errorCode(err) != "invalid_input" {
		t.Fatalf("%q: refused with %v (code %s), want invalid input", raw, err, errorCode(err))
	}
	if msg := chat.PublicMessage(err); msg == "" || !utf8.ValidString(msg) {
		t.Fatalf("%q: public message %q", raw, msg)
	}
}
