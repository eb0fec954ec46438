package sockets_test

import (
	"context"
	"fmt"
	"net/http"
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
	// Raw WebSocket: a foreign origin is refused at the upgrade.
	_, res, err := ws.DefaultDialer.Dial(a.wsURL("/api/ws/1?token=x"), http.Header{"Origin": {"https://evil.example.com"}})
	if err == nil || res == nil || res.StatusCode != http.StatusForbidden {
		t.Fatalf("raw upgrade from a foreign origin: %v %v", err, res)
	}
}
