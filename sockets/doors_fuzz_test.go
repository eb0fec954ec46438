package sockets_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	ws "github.com/gorilla/websocket"

	"github.com/izpochat/server/auth"
	"github.com/izpochat/server/chat"
	"github.com/izpochat/server/config"
	"github.com/izpochat/server/handlers"
	"github.com/izpochat/server/internal/testdb"
	"github.com/izpochat/server/models"
	"github.com/izpochat/server/sockets"
)

// The doors' decoders fuzzed through the real server (Engine.IO polling
// payloads v3 and v4 through the library's parser behind our edge, Socket.IO
// packets through our decoder and the library's, raw WebSocket JSON): one
// server per fuzz target, every input sent over loopback as a client would.

// fuzzWait bounds how long the server may take to answer the probe that
// follows each input: an input it hangs on is a failure.
const fuzzWait = 10 * time.Second

// fuzzDoors is the whole HTTP surface, wired as newApp wires it but built
// once for a fuzz target, with one account and one room.
type fuzzDoors struct {
	srv    *httptest.Server
	token  string
	roomID int64
}

func newFuzzDoors(f *testing.F) *fuzzDoors {
	f.Helper()
	db := testdb.Open(f, "sqlite")
	cfg := config.Config{Version: "test", MaxMessageLength: 5000, TokenTTL: time.Hour, JWTSecret: testSecret}
	log := slog.New(slog.DiscardHandler)
	service := chat.New(chat.Deps{Store: models.NewStore(db), Tokens: auth.NewTokens(cfg.JWTSecret, cfg.TokenTTL),
		Hub: chat.NewHub("test", nil), Limits: chat.Limits{MaxMessageLength: cfg.MaxMessageLength}, Logger: log})
	doors, err := sockets.New(context.Background(), sockets.Options{
		SocketIO:  config.SocketIO{PingInterval: 25 * time.Second, PingTimeout: 20 * time.Second, MaxPayload: 1_000_000, RecoveryWindow: 2 * time.Minute, SendQueue: 1024},
		RateLimit: config.RateLimit{EventsPerSecond: 1e6, Burst: 1e6},
		Service:   service, Logger: log,
	})
	if err != nil {
		f.Fatalf("sockets.New: %v", err)
	}
	d := &fuzzDoors{srv: httptest.NewServer(handlers.NewServer(handlers.Deps{Config: cfg, Chat: service, Logger: log,
		SocketIO: doors.SocketIO(), RawWS: doors.RawWS()}))}
	f.Cleanup(func() {
		doors.Drain(context.Background())
		d.srv.Close()
		_ = doors.Close()
	})
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
	req, _ := http.NewRequest("POST", d.srv.URL+path, strings.NewReader(body))
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

func (d *fuzzDoors) wsURL(path string) string {
	return "ws" + strings.TrimPrefix(d.srv.URL, "http") + path
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
		eio := "4"
		if eio3 {
			eio = "3"
		}
		body = bytes.ReplaceAll(body, []byte("TOKEN"), []byte(d.token))
		base := d.srv.URL + "/socket.io/?EIO=" + eio + "&transport=polling"
		res, err := http.Get(base)
		if err != nil {
			t.Fatalf("handshake: %v", err)
		}
		open, _ := io.ReadAll(res.Body)
		res.Body.Close()
		i := bytes.Index(open, []byte(`"sid":"`))
		if res.StatusCode != http.StatusOK || i < 0 {
			t.Fatalf("handshake: %d %q", res.StatusCode, open)
		}
		sid, _, _ := strings.Cut(string(open[i+7:]), `"`)
		url := base + "&sid=" + sid
		ctype := "text/plain;charset=UTF-8"
		if eio3 && len(body) > 0 && body[0] <= 1 {
			ctype = "application/octet-stream" // a v3 binary payload
		}
		res, err = http.Post(url, ctype, bytes.NewReader(body))
		if err != nil {
			t.Fatalf("POST %q: %v", body, err)
		}
		answer, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode >= 500 {
			t.Fatalf("POST %q (EIO=%s): %d %s", body, eio, res.StatusCode, answer)
		}
		closePacket := "1"
		if eio3 {
			closePacket = "1:1"
		}
		if res, err := http.Post(url, "text/plain;charset=UTF-8", strings.NewReader(closePacket)); err == nil {
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
		}
	})
}

// sioConn is one Socket.IO client connection kept across inputs while the
// server keeps it open.
type sioConn struct {
	conn  *ws.Conn
	probe int
}

func dialFuzzSIO(t *testing.T, d *fuzzDoors) *sioConn {
	t.Helper()
	conn, _, err := ws.DefaultDialer.Dial(d.wsURL("/socket.io/?EIO=4&transport=websocket"), nil)
	if err != nil {
		t.Fatalf("dial: %v (the server stopped serving?)", err)
	}
	c := &sioConn{conn: conn, probe: 1 << 30}
	_ = conn.SetReadDeadline(time.Now().Add(fuzzWait))
	if _, open, err := conn.ReadMessage(); err != nil || !bytes.HasPrefix(open, []byte("0{")) {
		t.Fatalf("engine.io open: %q %v", open, err)
	}
	_ = conn.WriteMessage(ws.TextMessage, []byte(`40{"token":"`+d.token+`"}`))
	for {
		_, msg, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("CONNECT: %v", err)
		}
		if bytes.HasPrefix(msg, []byte("40")) {
			return c
		}
	}
}

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
	var c *sioConn
	f.Cleanup(func() {
		if c != nil {
			_ = c.conn.Close()
		}
	})
	f.Fuzz(func(t *testing.T, frame string) {
		frame = strings.ReplaceAll(frame, "ROOM", strconv.FormatInt(d.roomID, 10))
		if c == nil {
			c = dialFuzzSIO(t, d)
		}
		c.probe++
		probe := fmt.Sprintf(`42%d["typing",{"room_id":%d,"typing":false}]`, c.probe, d.roomID)
		if c.conn.WriteMessage(ws.TextMessage, []byte(frame)) != nil || c.conn.WriteMessage(ws.TextMessage, []byte(probe)) != nil {
			_ = c.conn.Close()
			c = nil
			return
		}
		ack := []byte(fmt.Sprintf("43%d", c.probe))
		_ = c.conn.SetReadDeadline(time.Now().Add(fuzzWait))
		for {
			_, msg, err := c.conn.ReadMessage()
			if err != nil {
				if e, ok := err.(interface{ Timeout() bool }); ok && e.Timeout() {
					t.Fatalf("input %q: no answer and no close within %v", frame, fuzzWait)
				}
				_ = c.conn.Close()
				c = nil // the server closed it (a packet it refuses): the next input redials
				return
			}
			switch {
			case bytes.Equal(msg, []byte("2")):
				_ = c.conn.WriteMessage(ws.TextMessage, []byte("3"))
			case bytes.HasPrefix(msg, []byte(`42["error",`)):
				var args []json.RawMessage
				if json.Unmarshal(msg[2:], &args) != nil || len(args) < 2 {
					t.Fatalf("input %q: error event %s", frame, msg)
				}
				checkErrorEvent(t, frame, args[1])
			case bytes.HasPrefix(msg, ack):
				return
			}
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
			var err error
			conn, _, err = ws.DefaultDialer.Dial(d.wsURL(fmt.Sprintf("/api/ws/%d?token=%s", d.roomID, d.token)), nil)
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
