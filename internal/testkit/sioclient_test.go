package testkit_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/izpochat/server/internal/testkit"
	"github.com/izpochat/server/internal/testkit/testapp"
)

// The kit's client speaks every protocol the server serves: Engine.IO 4 and 3,
// over websocket and long-polling, with a message sent through one and
// delivered to another.
func TestClientOverEveryTransport(t *testing.T) {
	app := testapp.Start(t, "sqlite")
	token := register(t, app.URL, "kit")
	room := createRoom(t, app.URL, token)
	for _, o := range []testkit.DialOptions{
		{EIO: 4, Auth: map[string]string{"token": token}},
		{EIO: 4, Polling: true, Auth: map[string]string{"token": token}},
		{EIO: 3, Query: "token=" + token},
		{EIO: 3, Polling: true, Query: "token=" + token},
		// socket.io-client's default: polling, then an upgrade to websocket.
		{EIO: 4, Polling: true, UpgradeVia: app.URL, Auth: map[string]string{"token": token}},
		{EIO: 4, Polling: true, PollVia: []string{app.URL, app.URL}, Auth: map[string]string{"token": token}},
	} {
		t.Run(fmt.Sprintf("eio%d polling=%v upgrade=%v", o.EIO, o.Polling, o.UpgradeVia != ""), func(t *testing.T) {
			o.Record = true
			c := testkit.MustDial(t, app.URL, o)
			if c.SID == "" {
				t.Fatal("no session id")
			}
			if upgraded := c.Conn() != nil; upgraded != (!o.Polling || o.UpgradeVia != "") {
				t.Fatalf("websocket under the client: %v", upgraded)
			}
			c.Call("join_room", map[string]any{"room_id": room})
			content := fmt.Sprintf("over eio%d polling=%v ✓", o.EIO, o.Polling)
			if ack := c.Call("send_message", map[string]any{"room_id": room, "content": content}); ack["status"] == "error" {
				t.Fatalf("send_message: %v", ack)
			}
			for {
				if m := c.Next("new_message").Arg(t); m["content"] == content {
					break
				}
			}
			if n, _ := c.Count("new_message"); n < 1 {
				t.Fatalf("Count(new_message) = %d", n)
			}
			c.Close()
			<-c.Closed
		})
	}
	// A refused CONNECT is an error with the server's data.
	if _, _, err := testkit.Dial(t, app.URL, testkit.DialOptions{Auth: map[string]string{"token": "bad"}}); err == nil {
		t.Fatal("a bad token connected")
	}
}

func register(t *testing.T, base, name string) string {
	t.Helper()
	m := post(t, base+"/api/users/register", "", map[string]any{"username": name, "email": name + "@example.com", "password": "secret-" + name}, http.StatusCreated)
	return m["access_token"].(string)
}

func createRoom(t *testing.T, base, token string) int64 {
	t.Helper()
	m := post(t, base+"/api/rooms", token, map[string]any{"name": "kit room"}, http.StatusCreated)
	return int64(m["id"].(float64))
}

func post(t *testing.T, url, token string, body any, want int) map[string]any {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(res.Body).Decode(&m)
	if res.StatusCode != want {
		t.Fatalf("POST %s: %d %v", url, res.StatusCode, m)
	}
	return m
}

// A PollingSession drives one request at a time: the handshake, the CONNECT
// and its answer, a GET left waiting until the server has a packet for it,
// and EIO 3's length-prefixed framing both ways.
func TestPollingSession(t *testing.T) {
	app := testapp.Start(t, "sqlite")
	token := register(t, app.URL, "poller")
	room := createRoom(t, app.URL, token)
	for _, eio := range []int{4, 3} {
		t.Run(fmt.Sprintf("eio%d", eio), func(t *testing.T) {
			o := testkit.PollingOptions{EIO: eio}
			if eio == 3 {
				o.Query = "token=" + token
			}
			s := testkit.OpenPolling(t, app.URL, o)
			if s.SID == "" || !strings.Contains(s.URL, "sid="+s.SID) || !strings.HasPrefix(s.Open, "0{") {
				t.Fatalf("session %q at %q, open %q", s.SID, s.URL, s.Open)
			}
			// The CONNECT answer, then the "connected" event, in one payload or more.
			var seen []string
			if eio == 4 {
				answer, others := s.Connect(map[string]string{"token": token})
				if !strings.HasPrefix(answer, "40{") {
					t.Fatalf("CONNECT answered %q", answer)
				}
				seen = others
			} else {
				seen = s.Early // EIO 3 connects "/" by itself
			}
			connected := func(p string) bool { return strings.HasPrefix(p, `42["connected",`) }
			for deadline := time.Now().Add(5 * time.Second); !slices.ContainsFunc(seen, connected); {
				if time.Now().After(deadline) {
					t.Fatalf("no connected event in %q", seen)
				}
				seen = append(seen, s.Get().Packets...)
			}
			if eio == 3 && !slices.Contains(seen, "40") {
				t.Fatalf("EIO 3: no CONNECT of / in %q", seen)
			}
			pending := s.Pending()
			select {
			case a := <-pending:
				t.Fatalf("the GET was answered at once: %d %q", a.Status, a.Body)
			case <-time.After(300 * time.Millisecond):
			}
			// Two packets in one payload (é: EIO 3 counts UTF-16 units): an
			// event, and one with an ack id.
			typing := fmt.Sprintf(`42["typing",{"room_id":%d,"typing":false,"note":"é"}]`, room)
			join := fmt.Sprintf(`421["join_room",{"room_id":%d}]`, room)
			if a := s.Post(typing, join); a.Status != http.StatusOK || a.Body != "ok" {
				t.Fatalf("POST: %d %q", a.Status, a.Body)
			}
			var got []string
			select {
			case a := <-pending:
				if a.Err != nil || a.Status != http.StatusOK || len(a.Packets) == 0 {
					t.Fatalf("pending GET: %d %q %v", a.Status, a.Body, a.Err)
				}
				got = a.Packets
			case <-time.After(5 * time.Second):
				t.Fatal("the pending GET got no answer")
			}
			hasAck := func(p string) bool { return strings.HasPrefix(p, "431[") }
			for deadline := time.Now().Add(5 * time.Second); !slices.ContainsFunc(got, hasAck) && time.Now().Before(deadline); {
				got = append(got, s.Get().Packets...)
			}
			// The payload decoded into whole packets: the room's event, then the ack.
			if !strings.HasPrefix(got[0], `42["joined_room",{`) || !strings.HasSuffix(got[0], "]") || !slices.ContainsFunc(got, hasAck) {
				t.Fatalf("answers %q", got)
			}
			// The same session through another base (here the same app), a
			// POST that does not fail the test, and Next for one event.
			via := s.Via(app.URL)
			if via.SID != s.SID || via.URL != s.URL {
				t.Fatalf("Via: %q %q, want %q %q", via.SID, via.URL, s.SID, s.URL)
			}
			if a := via.TryPost(fmt.Sprintf(`42["leave_room",{"room_id":%d}]`, room)); a.Err != nil || a.Status != http.StatusOK {
				t.Fatalf("TryPost: %d %q %v", a.Status, a.Body, a.Err)
			}
			if m := s.Next("left_room").Arg(t); m["room_id"] != float64(room) {
				t.Fatalf("left_room %v", m)
			}
			if a := s.Post("1"); a.Status != http.StatusOK {
				t.Fatalf("close: %d %q", a.Status, a.Body)
			}
			if a := s.TryPost("3"); a.Status == http.StatusOK {
				t.Fatalf("a closed session took a POST: %d %q", a.Status, a.Body)
			}
		})
	}
}

// The hostile helpers send what they say: an EndlessBody of undeclared length
// goes chunked and whole, SendRaw writes its bytes as they are, and Trickle
// reports a server that answers and one that is still reading.
func TestHostileHelpers(t *testing.T) {
	var got atomic.Int64
	var chunked atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			<-r.Context().Done()
			return
		}
		chunked.Store(slices.Contains(r.TransferEncoding, "chunked"))
		n, _ := io.Copy(io.Discard, r.Body)
		got.Store(n)
	}))
	defer srv.Close()
	body := testkit.NewEndlessBody(3<<20, '4')
	req, _ := http.NewRequest(http.MethodPost, srv.URL, body)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if got.Load() != 3<<20 || body.Sent() != 3<<20 || !chunked.Load() {
		t.Fatalf("server read %d, body sent %d, chunked %v", got.Load(), body.Sent(), chunked.Load())
	}
	conn := testkit.SendRaw(t, srv.URL, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if line, err := bufio.NewReader(conn).ReadString('\n'); err != nil || !strings.HasPrefix(line, "HTTP/1.1 200") {
		t.Fatalf("SendRaw answered %q %v", line, err)
	}
	head := "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n"
	if took, what := testkit.Trickle(t, srv.URL, head, []byte("ab"), 10*time.Millisecond, 5*time.Second); !strings.HasPrefix(what, "HTTP/1.1 200") || took >= 5*time.Second {
		t.Fatalf("Trickle to an answering server: %v %q", took, what)
	}
	if took, what := testkit.Trickle(t, srv.URL, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n", nil, 10*time.Millisecond, 300*time.Millisecond); what != "still reading" || took != 300*time.Millisecond {
		t.Fatalf("Trickle to a server that never answers: %v %q", took, what)
	}
}

// A PollingSession upgrades by hand: Probe answers "3probe", Upgrade sends
// "5", and the session then speaks over the websocket it returns.
func TestPollingSessionUpgrade(t *testing.T) {
	app := testapp.Start(t, "sqlite")
	token := register(t, app.URL, "upgrader")
	s := testkit.OpenPolling(t, app.URL, testkit.PollingOptions{})
	if answer, _ := s.Connect(map[string]string{"token": token}); !strings.HasPrefix(answer, "40{") {
		t.Fatalf("CONNECT answered %q", answer)
	}
	conn := s.Upgrade()
	if err := conn.WriteMessage(websocket.TextMessage, []byte(`421["join_room",{"room_id":999999}]`)); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, msg, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("no answer over the upgraded websocket: %v", err)
		}
		if strings.HasPrefix(string(msg), "431[") || strings.HasPrefix(string(msg), `42["error",`) {
			break
		}
	}
	if a := s.TryPost("3"); a.Status == http.StatusOK {
		t.Fatalf("the polling side still takes POSTs after the upgrade: %d %q", a.Status, a.Body)
	}
}

// ConnectAlso connects a second namespace over the same Engine.IO connection;
// a namespace the server refuses is an error.
func TestClientConnectAlso(t *testing.T) {
	app := testapp.Start(t, "sqlite")
	token := register(t, app.URL, "multi")
	room := createRoom(t, app.URL, token)
	c := testkit.MustDial(t, app.URL, testkit.DialOptions{Auth: map[string]string{"token": token}})
	if _, err := c.ConnectAlso(fmt.Sprintf("/rooms/%d", room), map[string]string{"token": token}); err != nil {
		t.Fatalf("the room's namespace: %v", err)
	}
	if _, err := c.ConnectAlso("/rooms/999999", map[string]string{"token": token}); err == nil {
		t.Fatal("a room that does not exist connected")
	}
	if ack := c.Call("join_room", map[string]any{"room_id": room}); ack["status"] == "error" {
		t.Fatalf("the first namespace after ConnectAlso: %v", ack)
	}
}

// OpenEngineWebsocket leaves the session bare: the server's next packet is
// the answer to what the test writes.
func TestOpenEngineWebsocket(t *testing.T) {
	app := testapp.Start(t, "sqlite")
	conn, sid := testkit.OpenEngineWebsocket(t, app.URL)
	if sid == "" {
		t.Fatal("no session id")
	}
	if err := conn.WriteMessage(websocket.TextMessage, []byte("40/nope,")); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, msg, err := conn.ReadMessage(); err != nil || !strings.HasPrefix(string(msg), "44/nope,") {
		t.Fatalf("CONNECT of an unknown namespace answered %q %v", msg, err)
	}
}
