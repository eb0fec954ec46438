package sockets_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	ws "github.com/gorilla/websocket"

	"github.com/izpochat/server/config"
	"github.com/izpochat/server/internal/testdb"
)

// One user posting through REST, Socket.IO ("/" and "/rooms/<id>") and the raw
// WebSocket at once is limited in total: the budget is the user's, not the
// connection's, and each door says no in its own terms.
func TestPostingIsLimitedPerUserAcrossEveryDoor(t *testing.T) {
	const budget = 10
	for _, driver := range testdb.Drivers() {
		t.Run(driver, func(t *testing.T) {
			a := newApp(t, driver, withRates(config.RequestRates{PostPerUser: config.Rate{Burst: budget, Per: time.Hour}}))
			alice, bob := a.register("alice"), a.register("bob")
			room := a.createRoom(alice, "general", false)
			main := mustDial(t, a, dialOpts{auth: map[string]any{"token": alice.Token}})
			main.call("join_room", map[string]any{"room_id": room})
			ns := mustDial(t, a, dialOpts{nsp: fmt.Sprintf("/rooms/%d", room), auth: map[string]any{"token": alice.Token}})
			ns.next("welcome")
			raw := dialRaw(t, a, fmt.Sprintf("/api/ws/%d?token=%s", room, alice.Token), nil)
			raw.next("welcome")

			// Each door alone stays well inside its per-connection limit.
			refused := map[string]int{}
			for i := 0; i < 4; i++ {
				status, body := a.do("POST", fmt.Sprintf("/api/rooms/%d/messages", room), alice.Token, map[string]any{"content": fmt.Sprint("rest ", i)})
				if status == http.StatusTooManyRequests {
					refused["rest"]++
				} else if status != http.StatusCreated {
					t.Fatalf("REST post: %d %s", status, body)
				}
				if ack := main.call("send_message", map[string]any{"room_id": room, "content": fmt.Sprint("sio ", i)}); ack["status"] != "success" {
					if ack["code"] != "rate_limited" {
						t.Fatalf("send_message ack = %v", ack)
					}
					if ev := main.next("error").Arg(t); ev["code"] != "rate_limited" {
						t.Fatalf("error event = %v", ev)
					}
					refused["sio"]++
				}
				if ack := ns.call("message", map[string]any{"content": fmt.Sprint("ns ", i)}); ack["status"] != "success" {
					if ack["code"] != "rate_limited" {
						t.Fatalf("/rooms message ack = %v", ack)
					}
					refused["ns"]++
				}
				content := fmt.Sprint("raw ", i)
				raw.send(map[string]any{"type": "message", "content": content})
				if f := rawAnswer(t, raw, content); f["type"] == "error" {
					if f["code"] != "rate_limited" {
						t.Fatalf("raw error frame = %v", f)
					}
					refused["raw"]++
				}
			}
			if got := a.countMessages(room); got != budget {
				t.Fatalf("stored %d messages from one user over four doors, want the budget of %d (refused: %v)", got, budget, refused)
			}
			if refused["rest"]+refused["sio"]+refused["ns"]+refused["raw"] != 16-budget {
				t.Fatalf("refused %v, want %d in all", refused, 16-budget)
			}
			// After the budget is spent, REST says 429 with Retry-After...
			req, _ := http.NewRequest("POST", a.srv.URL+fmt.Sprintf("/api/rooms/%d/messages", room), strings.NewReader(`{"content":"more"}`))
			req.Header.Set("Authorization", "Bearer "+alice.Token)
			req.Header.Set("Content-Type", "application/json")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
				t.Fatalf("REST over the budget: %d, Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
			}
			// ...and another user is not affected.
			a.postREST(bob, room, "bob still posts")
		})
	}
}

// rawAnswer waits for the echo of the raw client's message or an error frame.
func rawAnswer(t *testing.T, c *rawClient, content string) map[string]any {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case f := <-c.frames:
			if f["type"] == "error" || (f["type"] == "message" && f["content"] == content) {
				return f
			}
		case <-deadline:
			t.Fatalf("no answer to raw message %q", content)
		}
	}
}

// New connections are limited per client IP: Socket.IO handshakes (polling and
// websocket-only) and raw WebSocket upgrades share the budget; another address
// is not affected. Requests of an existing session are not new connections.
func TestNewConnectionsAreLimitedPerIP(t *testing.T) {
	a := newApp(t, testdb.Drivers()[0], withRates(config.RequestRates{ConnectPerIP: config.Rate{Burst: 3, Per: time.Hour}}))
	alice := a.register("alice")
	room := a.createRoom(alice, "general", false)

	// 1: a polling handshake, whose next request (with its sid) is not counted.
	p := openPollingClient(t, a.srv.URL)
	p.post(`40{"token":"` + alice.Token + `"}`)
	// 2: a websocket-only Socket.IO client; 3: a raw WebSocket.
	mustDial(t, a, dialOpts{auth: map[string]any{"token": alice.Token}})
	dialRaw(t, a, fmt.Sprintf("/api/ws/%d?token=%s", room, alice.Token), nil).next("welcome")

	// The fourth, by either door, is refused before any work: 429 + Retry-After.
	for _, path := range []string{"/socket.io/?EIO=4&transport=websocket", fmt.Sprintf("/api/ws/%d?token=%s", room, alice.Token)} {
		_, res, err := ws.DefaultDialer.Dial(a.wsURL(path), nil)
		if err == nil || res == nil || res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
			t.Fatalf("%s: err %v, response %+v; want 429 with Retry-After", path, err, res)
		}
	}
	res, err := http.Get(a.srv.URL + "/socket.io/?EIO=4&transport=polling")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("fourth polling handshake: %d, want 429", res.StatusCode)
	}

	// Another address (127.0.0.2, loopback too) still connects.
	dialer := *ws.DefaultDialer
	dialer.NetDialContext = (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}).DialContext
	conn, _, err := dialer.DialContext(context.Background(), a.wsURL(fmt.Sprintf("/api/ws/%d?token=%s", room, alice.Token)), nil)
	if err != nil {
		t.Fatalf("raw WebSocket from another address: %v", err)
	}
	conn.Close()
}
