package sockets_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	ws "github.com/gorilla/websocket"
)

// TestDrainClosesConnectionsSoClientsReconnect: on shutdown Socket.IO clients
// see their transport close (socket.io clients reconnect on that, unlike on a
// server namespace disconnect) and raw clients get 1012 (service restart).
func TestDrainClosesConnectionsSoClientsReconnect(t *testing.T) {
	a := newApp(t, "sqlite")
	alice := a.register("alice")
	room := a.createRoom(alice, "general", false)
	sio := mustDial(t, a, dialOpts{auth: map[string]any{"token": alice.Token}})
	sio.call("join_room", map[string]any{"room_id": room})
	raw := dialRaw(t, a, fmt.Sprintf("/api/ws/%d?token=%s", room, alice.Token), nil)
	raw.next("welcome")

	a.doors.Drain(context.Background())

	if ce := raw.closeCode(); ce.Code != ws.CloseServiceRestart {
		t.Fatalf("raw close = %d %q, want 1012", ce.Code, ce.Text)
	}
	select {
	case <-sio.closed:
	case <-time.After(5 * time.Second):
		t.Fatal("socket.io connection not closed by drain")
	}
	// A close frame, not a cut connection (1006): the client knows the server
	// is restarting.
	if ce, ok := sio.closeErr().(*ws.CloseError); !ok || ce.Code != ws.CloseServiceRestart {
		t.Fatalf("socket.io websocket ended with %v, want close frame 1012", sio.closeErr())
	}
	for {
		select {
		case ev := <-sio.events:
			if ev.Name == "disconnect" {
				t.Fatal("server sent a namespace disconnect; clients would not reconnect")
			}
			continue
		default:
		}
		break
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		online, _ := a.service.OnlineUsers(context.Background(), room)
		if len(online) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still online after drain: %v", online)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestSocketIOCORSFollowsAllowedOrigins(t *testing.T) {
	a := newApp(t, "sqlite", withOrigins("https://app.example.com"))
	for origin, want := range map[string]string{"https://app.example.com": "https://app.example.com", "https://evil.example.com": ""} {
		req, _ := http.NewRequest("GET", a.srv.URL+"/socket.io/?EIO=4&transport=polling", nil)
		req.Header.Set("Origin", origin)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		got := res.Header.Get("Access-Control-Allow-Origin")
		if want != "" && (got != want || res.Header.Get("Access-Control-Allow-Credentials") != "true") {
			t.Fatalf("origin %s: allow-origin %q credentials %q", origin, got, res.Header.Get("Access-Control-Allow-Credentials"))
		}
		if want == "" && got == origin {
			t.Fatalf("origin %s was allowed", origin)
		}
	}
	// A polling client's preflight is answered by the same CORS as REST.
	for origin, want := range map[string]int{"https://app.example.com": http.StatusNoContent, "https://evil.example.com": http.StatusForbidden} {
		req, _ := http.NewRequest("OPTIONS", a.srv.URL+"/socket.io/?EIO=4&transport=polling", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want || (want == http.StatusNoContent) != (res.Header.Get("Access-Control-Allow-Origin") == origin) {
			t.Fatalf("preflight from %s: %d allow-origin %q", origin, res.StatusCode, res.Header.Get("Access-Control-Allow-Origin"))
		}
	}
	// Raw WebSocket: a foreign origin is refused at the upgrade.
	_, res, err := ws.DefaultDialer.Dial(a.wsURL("/api/ws/1?token=x"), http.Header{"Origin": {"https://evil.example.com"}})
	if err == nil || res == nil || res.StatusCode != http.StatusForbidden {
		t.Fatalf("raw upgrade from a foreign origin: %v %v", err, res)
	}
}

// TestDrainAnswersPendingLongPollAtOnce: a polling client's pending GET returns
// as soon as the server drains (not after the ping interval), and not with a
// Socket.IO DISCONNECT, so socket.io-client reconnects right away.
func TestDrainAnswersPendingLongPollAtOnce(t *testing.T) {
	a := newApp(t, "sqlite")
	alice := a.register("alice")
	p := openPolling(t, a, alice.Token)

	pending := p.Pending() // nothing to say: the server holds it (ping interval 25 s)
	select {
	case got := <-pending:
		t.Fatalf("the long-poll returned before the drain: %+v", got)
	case <-time.After(300 * time.Millisecond):
	}

	drained := time.Now()
	a.doors.Drain(context.Background())
	select {
	case got := <-pending:
		if took := time.Since(drained); took > 2*time.Second {
			t.Fatalf("pending GET answered %v after the drain", took)
		}
		if got.Err == nil && strings.Contains(got.Body, "41") {
			t.Fatalf("pending GET got a Socket.IO DISCONNECT (%d %q): clients would not reconnect", got.Status, got.Body)
		}
		t.Logf("pending GET after drain: %d %q %v", got.Status, got.Body, got.Err)
	case <-time.After(3 * time.Second):
		t.Fatal("pending long-poll GET still open 3 s after the drain")
	}
}
