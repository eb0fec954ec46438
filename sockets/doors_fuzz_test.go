package sockets_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	ws "github.com/gorilla/websocket"

	"github.com/izpochat/server/internal/testkit"
	"github.com/izpochat/server/internal/testkit/testapp"
)

// The doors' decoders fuzzed through the real server (Engine.IO polling
// payloads v3 and v4 through the library's parser behind our edge, Socket.IO
// packets through our decoder and the library's, raw WebSocket JSON): one
// server per fuzz target, the app as main wires it (testapp), every input sent
// over loopback as a client would. The sessions are the kit's (a PollingSession,
// a Client); the fuzzed bytes go in raw (PostRaw, WriteRaw).

// fuzzWait bounds how long the server may take to answer the probe that
// follows each input: an input it hangs on is a failure.
const fuzzWait = 10 * time.Second

// fuzzDoors is the whole HTTP surface, as main wires it (testapp), built once
// for a fuzz target, with one account and one room.
type fuzzDoors struct {
	app    *testapp.App
	token  string
	roomID int64
}

func newFuzzDoors(f *testing.F) *fuzzDoors {
	f.Helper()
	// No event rate to speak of: the fuzzer sends thousands a second on one connection.
	d := &fuzzDoors{app: testapp.Start(f, "sqlite", testapp.WithSocketEventRate(1e6, 1e6))}
	var reg struct {
		AccessToken string `json:"access_token"`
	}
	d.postJSON(f, "/api/users/register", "", `{"username":"fuzzer","email":"fuzzer@example.com","password":"secret-fuzzer"}`, &reg)
	var room struct {
		ID int64 `json:"id"`
	}
	d.token = reg.AccessToken
	d.postJSON(f, "/api/rooms", d.token, `{"name":"fuzz room"}`, &room)
	d.roomID = room.ID
	return d
}

func (d *fuzzDoors) postJSON(f *testing.F, path, token, body string, out any) {
	f.Helper()
	req, _ := http.NewRequest("POST", d.app.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		f.Fatalf("POST %s: %v", path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusCreated || json.Unmarshal(b, out) != nil {
		f.Fatalf("POST %s: %d %s", path, res.StatusCode, b)
	}
}

// checkErrorEvent asserts an error a door sends is in the contract's shape
// ({message, code}) and is no internal failure.
func checkErrorEvent(t *testing.T, input any, raw []byte) {
	t.Helper()
	var e struct {
		Message *string `json:"message"`
		Code    string  `json:"code"`
	}
	if err := json.Unmarshal(raw, &e); err != nil || e.Message == nil || *e.Message == "" || e.Code == "" {
		t.Fatalf("input %q: error not in the contract's shape: %s", input, raw)
	}
	if e.Code == "internal_error" {
		t.Fatalf("input %q: internal error: %s", input, raw)
	}
}

// Any body POSTed to an Engine.IO polling session (v3 and v4 payloads): never
// a 5xx, and the server goes on serving handshakes.
func FuzzPollingPayload(f *testing.F) {
	for _, s := range []string{
		`40{"token":"TOKEN"}`, "40\x1e42[\"join_room\",{\"room_id\":1}]", `42["send_message",{"room_id":1,"content":"hi"}]`,
		"3", "1", "6", "2probe", "bAQID", "\x1e\x1e", "4", "9", "", "42[\"x\"",
	} {
		f.Add(false, []byte(s))
	}
	for _, s := range []string{
		`2:40`, `13:42["ev",{"a":1}]`, `1:1`, `0:`, `99:4`, `3:42`, `b4AQID`, `1:6`, `-1:4`, `2:4` + "\xff", "18446744073709551617:4",
		"\x00\x01\x03\xff" + `42["ev"]`, "\x01\x01\xff\x04", `5:40/a,`,
	} {
		f.Add(true, []byte(s))
	}
	d := newFuzzDoors(f)
	f.Fuzz(func(t *testing.T, eio3 bool, body []byte) {
		eio := 4
		if eio3 {
			eio = 3
		}
		body = bytes.ReplaceAll(body, []byte("TOKEN"), []byte(d.token))
		session := testkit.OpenPolling(t, d.app.URL, testkit.PollingOptions{EIO: eio})
		ctype := "text/plain;charset=UTF-8"
		if eio == 3 && len(body) > 0 && body[0] <= 1 {
			ctype = "application/octet-stream" // a v3 binary payload
		}
		if a := session.PostRaw(ctype, body); a.Status >= 500 {
			t.Fatalf("POST %q (EIO=%d): %d %s", body, eio, a.Status, a.Body)
		}
		_ = session.Post("1") // close, framed for the EIO
	})
}

// dialFuzzSIO connects the kit's client to "/" over websocket; it is kept
// across inputs while the server keeps it open.
func dialFuzzSIO(t testing.TB, d *fuzzDoors) *testkit.Client {
	t.Helper()
	return testkit.MustDial(t, d.app.URL, testkit.DialOptions{Auth: map[string]string{"token": d.token}})
}

// outliving is one input's t whose cleanups wait for the fuzz target's end
// (a fuzz function may not call f's methods), so what it opens serves the
// next inputs too.
type outliving struct {
	*testing.T
	cleanups *[]func()
}

func (o outliving) Cleanup(fn func()) { *o.cleanups = append(*o.cleanups, fn) }

// Any Engine.IO message on a Socket.IO websocket (events with namespaces,
// ack ids, binary placeholders; connects, acks, garbage): error events are in
// the contract's shape and never internal errors, and the server answers the
// next event, or closes the connection, within fuzzWait.
func FuzzSocketIOPackets(f *testing.F) {
	for _, s := range []string{
		`42["join_room",{"room_id":ROOM}]`, `42["send_message",{"room_id":ROOM,"content":"hi"}]`,
		`421["send_message",{"room_id":"ROOM","content":"with ack"}]`, `42["typing",{"room_id":ROOM,"typing":false}]`,
		`42["leave_room",{"room_id":ROOM}]`, `42["send_message","{\"room_id\":ROOM,\"content\":\"as a string\"}"]`,
		`42["send_message",{"room_id":ROOM,"content":"","file_id":999}]`, `42["join_room",{"room_id":-1}]`,
		`42["join_room",{"room_id":99999999999999999999}]`, `42["join_room",null]`, `42["join_room"]`, `42["unknown",1]`,
		`40/rooms/ROOM,{"token":"x"}`, `40/rooms/ROOM,`, `42/rooms/ROOM,["message",{"content":"hi"}]`, `41/rooms/ROOM,`,
		`40/nope,`, `451-["send_message",{"_placeholder":true,"num":0}]`, `450-["send_message",{"room_id":ROOM}]`,
		`43123["x"]`, `4`, `49`, `2`, `3`, `5`, `6`, `1`, `2probe`, `42["connect"]`, `42[]`, `42{`, "42[\"x\",\"\xff\"]",
	} {
		f.Add(s)
	}
	d := newFuzzDoors(f)
	var c *testkit.Client
	var cleanups []func()
	f.Cleanup(func() {
		for _, fn := range slices.Backward(cleanups) {
			fn()
		}
	})
	f.Fuzz(func(t *testing.T, frame string) {
		frame = strings.ReplaceAll(frame, "ROOM", strconv.FormatInt(d.roomID, 10))
		if c == nil {
			// The client outlives this input's t: its cleanup is the fuzz target's.
			c = dialFuzzSIO(outliving{t, &cleanups}, d)
		}
		c.WriteRaw(frame)
		_, answered := c.CallRaw(fuzzWait, "typing", map[string]any{"room_id": d.roomID, "typing": false})
		// Every error event so far, the probe's answer included, is in the contract's shape.
		for drained := false; !drained; {
			select {
			case ev := <-c.Events():
				if ev.Name == "error" {
					if len(ev.Args) == 0 {
						t.Fatalf("input %q: error event without data", frame)
					}
					checkErrorEvent(t, frame, ev.Args[0])
				}
			default:
				drained = true
			}
		}
		if answered {
			return
		}
		select {
		case <-c.Closed:
			c = nil // the server closed it (a packet it refuses): the next input redials
		default:
			t.Fatalf("input %q: no answer and no close within %v", frame, fuzzWait)
		}
	})
}

// Any text frame on the raw WebSocket door: every answer is a JSON object
// with a type, errors are in the contract's shape ({type:"error", message})
// and never internal, the connection stays open and answers the next ping.
func FuzzRawDoorFrame(f *testing.F) {
	for _, s := range []string{
		`{"type":"message","content":"hello"}`, `{"type":"message","content":"x","file_id":"999"}`,
		`{"type":"typing","typing":true}`, `{"type":"typing","typing":"0"}`, `{"type":"ping"}`, `{"type":"nope"}`,
		`{"type":"message","content":5}`, `{"type":"message","file_id":-1}`, `{"type":"message","content":""}`,
		`{"type":"message","content":"` + strings.Repeat("x", 6000) + `"}`, `{"type":["message"]}`,
		`{}`, `[]`, `null`, `"x"`, `{`, "\xff", ``, `{"type":"message","content":"\ud800"}`,
		`{"content":"no type: a message"}`, `{"content":null}`, `{"type":null,"content":7}`, `{"file_id":"x"}`,
	} {
		f.Add([]byte(s))
	}
	d := newFuzzDoors(f)
	var conn *ws.Conn
	f.Cleanup(func() {
		if conn != nil {
			_ = conn.Close()
		}
	})
	f.Fuzz(func(t *testing.T, frame []byte) {
		if conn == nil {
			// The raw door speaks plain JSON frames: a websocket is its client.
			var err error
			conn, _, err = ws.DefaultDialer.Dial(d.app.WSURL(fmt.Sprintf("/api/ws/%d?token=%s", d.roomID, d.token)), nil)
			if err != nil {
				t.Fatalf("dial the raw door: %v", err)
			}
		}
		if err := conn.WriteMessage(ws.TextMessage, frame); err != nil {
			t.Fatalf("send: %v", err)
		}
		if err := conn.WriteMessage(ws.TextMessage, []byte(`{"type":"ping"}`)); err != nil {
			t.Fatalf("send ping: %v", err)
		}
		// The frame itself may be a ping: wait for the pong that answers ours,
		// the last one, by counting.
		pongs := 1
		if json.Valid(frame) {
			var m map[string]any
			if json.Unmarshal(frame, &m) == nil && m["type"] == "ping" {
				pongs = 2
			}
		}
		_ = conn.SetReadDeadline(time.Now().Add(fuzzWait))
		for pongs > 0 {
			_, msg, err := conn.ReadMessage()
			if err != nil {
				t.Fatalf("frame %q: the connection ended: %v", frame, err)
			}
			var m map[string]any
			if err := json.Unmarshal(msg, &m); err != nil {
				t.Fatalf("frame %q: answer is not a JSON object: %s", frame, msg)
			}
			kind, _ := m["type"].(string)
			switch kind {
			case "":
				t.Fatalf("frame %q: answer without a type: %s", frame, msg)
			case "error":
				checkErrorEvent(t, frame, msg)
			case "pong":
				pongs--
			}
		}
	})
}
