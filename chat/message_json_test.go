package chat

import (
	"bytes"
	"encoding/json"
	"math/rand"
	"testing"
	"time"
	"unicode/utf8"
)

// The hand-written encoding is byte for byte what encoding/json writes, for
// every shape of message and every kind of string.
func TestAppendMessagesJSONMatchesEncodingJSON(t *testing.T) {
	url, fileID, roomID := "/uploads/a b.png", int64(7), int64(3)
	at := Time(time.Date(2026, 11, 29, 4, 5, 6, 789012000, time.FixedZone("x", 3600)))
	plain := Message{ID: 1, Type: "message", Content: "hi", UserID: 2, Username: "alice", RoomID: 3,
		CreatedAt: at, Timestamp: at, Sender: UserRef{ID: 2, Username: "alice", FullName: "Alice A."},
		SenderID: 2, Room: RoomRef{ID: 3, Name: "lobby"}}
	withFile := plain
	withFile.Type, withFile.FileURL, withFile.FileID = "file", &url, &fileID
	withFile.File = &File{ID: 7, Filename: "x.png", OriginalFilename: "<a&b>.png", FileSize: 10, ContentType: "image/png",
		FileURL: url, PublicURL: "http://h" + url, UserID: 2, RoomID: &roomID, CreatedAt: at}
	odd := plain
	odd.Content = "quote\" back\\ <script>&amp; \x00\x01\x1f\x7f \b\f\n\r\t é 日本 \u2028\u2029 \xff\xfe bad \xe2\x82 end 😀"
	odd.Username, odd.Sender.FullName = "", "Zoë \"Z\""
	odd.Room.Name = "<b>\"room\"</b> \x00 日本 \xff"
	early, late := plain, plain
	early.CreatedAt = Time(time.Date(1, 1, 1, 0, 0, 0, 999, time.UTC))
	late.Timestamp = Time(time.Date(12345, 12, 31, 23, 59, 59, 999999999, time.UTC))
	threaded := plain // issue 23: edited, deleted, a reply
	threaded.EditedAt, threaded.DeletedAt = &at, &at
	threaded.ReplyTo = &ReplyRef{ID: 9, Username: "<b>", Content: odd.Content}
	edited := plain
	edited.EditedAt = &at
	edited.ReplyTo = &ReplyRef{ID: 1}
	for _, msgs := range [][]Message{nil, {}, {plain}, {plain, withFile, odd}, {early, late}, {threaded, edited}} {
		want := reflectedJSON(t, msgs)
		if got := AppendMessagesJSON(nil, msgs); !bytes.Equal(got, want) {
			t.Fatalf("encoded\n%s\nwant\n%s", got, want)
		}
		// Through MarshalJSON: a slice, and each message by value, by pointer and
		// inside an event's arguments, as the Socket.IO encoder marshals them.
		if got, err := json.Marshal(msgs); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("json.Marshal: %s, %v\nwant\n%s", got, err, want)
		}
		for i := range msgs {
			one := reflectedJSON(t, msgs[i:i+1])
			one = one[1 : len(one)-1]
			// AppendJSON's own output is already what json.Marshal makes of it
			// (other encoders append it as it is), and so are the timestamps'.
			if got := msgs[i].AppendJSON(nil); !bytes.Equal(got, one) {
				t.Fatalf("AppendJSON: %s\nwant\n%s", got, one)
			}
			for _, at := range []Time{msgs[i].CreatedAt, msgs[i].Timestamp} {
				if got, want := at.AppendJSON(nil), mustMarshal(t, at); !bytes.Equal(got, want) {
					t.Fatalf("Time.AppendJSON: %s, want %s", got, want)
				}
			}
			for _, v := range []any{msgs[i], &msgs[i]} {
				if got, err := json.Marshal(v); err != nil || !bytes.Equal(got, one) {
					t.Fatalf("json.Marshal(%T): %s, %v\nwant\n%s", v, got, err, one)
				}
			}
			args, err := json.Marshal([]any{"new_message", &msgs[i], "offset"})
			if wantArgs := `["new_message",` + string(one) + `,"offset"]`; err != nil || string(args) != wantArgs {
				t.Fatalf("event arguments: %s, %v\nwant\n%s", args, err, wantArgs)
			}
		}
	}
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// reflected is Message without its MarshalJSON: what encoding/json writes by
// reflection over the same fields.
type reflected Message

func reflectedJSON(t *testing.T, msgs []Message) []byte {
	t.Helper()
	var mirror []reflected
	if msgs != nil {
		mirror = make([]reflected, len(msgs))
		for i := range msgs {
			mirror[i] = reflected(msgs[i])
		}
	}
	b, err := json.Marshal(mirror)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestAppendJSONStringMatchesEncodingJSONOnRandomBytes(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	alphabet := []string{"a", "\"", "\\", "<", ">", "&", "\x00", "\x1f", "\x7f", "é", "\u2028", "\u2029", "😀", "\xff", "\xe2\x82", "\xed\xa0\x80", "\n", "\t"}
	for range 5000 {
		var s []byte
		for range rng.Intn(12) {
			if rng.Intn(3) == 0 {
				s = append(s, byte(rng.Intn(256)))
			} else {
				s = append(s, alphabet[rng.Intn(len(alphabet))]...)
			}
		}
		want, _ := json.Marshal(string(s))
		if got := AppendJSONString(nil, string(s)); !bytes.Equal(got, want) {
			t.Fatalf("%q (valid UTF-8 %v): encoded %s, want %s", s, utf8.Valid(s), got, want)
		}
	}
}
