package sockets_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	ws "github.com/gorilla/websocket"

	"github.com/izpochat/server/chat"
)

func TestRateLimitAnswersWithErrorEventAndKeepsConnection(t *testing.T) {
	a := newApp(t, "sqlite", withRate(2, 3))
	alice := a.register("alice")
	room := a.createRoom(alice, "general", false)

	c := mustDial(t, a, dialOpts{auth: map[string]any{"token": alice.Token}})
	var ok, limited int
	for i := 0; i < 8; i++ {
		ack := c.call("typing", map[string]any{"room_id": room, "typing": true})
		switch {
		case ack["status"] == "success":
			ok++
		case ack["code"] == "rate_limited":
			limited++
			if ev := c.next("error").Arg(t); ev["code"] != "rate_limited" || ev["message"] == "" {
				t.Fatalf("error event = %v", ev)
			}
		default:
			t.Fatalf("ack = %v", ack)
		}
	}
	if ok < 3 || ok > 4 || limited == 0 {
		t.Fatalf("%d allowed, %d limited; want the burst of 3 (+refill) then limits", ok, limited)
	}
	time.Sleep(600 * time.Millisecond) // refills one token
	if ack := c.call("typing", map[string]any{"room_id": room, "typing": false}); ack["status"] != "success" {
		t.Fatalf("after refill: %v", ack)
	}

	raw := dialRaw(t, a, fmt.Sprintf("/api/ws/%d?token=%s", room, alice.Token), nil)
	raw.next("welcome")
	for i := 0; i < 6; i++ {
		raw.send(map[string]any{"type": "ping"})
	}
	if e := raw.next("error"); e["code"] != "rate_limited" {
		t.Fatalf("raw error = %v", e)
	}
}

// TestSlowRawClientIsDroppedWhileOthersKeepReceiving: a client that stops
// reading fills its queue (or blocks past the write deadline) and is dropped and
// logged; a reading client in the same room gets every event.
func TestSlowRawClientIsDroppedWhileOthersKeepReceiving(t *testing.T) {
	a := newApp(t, "sqlite", withSendQueue(256), withWriteTimeout(300*time.Millisecond))
	alice, bob := a.register("alice"), a.register("bob")
	room := a.createRoom(alice, "general", false)

	dialer := ws.Dialer{NetDial: func(network, addr string) (net.Conn, error) {
		conn, err := net.Dial(network, addr)
		if err == nil {
			_ = conn.(*net.TCPConn).SetReadBuffer(4096)
		}
		return conn, err
	}}
	slow, _, err := dialer.Dial(a.wsURL(fmt.Sprintf("/api/ws/%d?token=%s", room, bob.Token)), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	fast := dialRaw(t, a, fmt.Sprintf("/api/ws/%d?token=%s", room, alice.Token), nil)
	fast.next("welcome")

	const total = 600
	big := strings.Repeat("x", 8000)
	go func() {
		for i := 1; i <= total; i++ {
			msg := &chat.Message{ID: int64(i), Type: "message", Content: big, RoomID: room}
			_ = a.service.Hub().Publish(context.Background(), chat.Event{Type: chat.EventMessage, RoomID: room, Message: msg})
			if i%50 == 0 {
				time.Sleep(20 * time.Millisecond)
			}
		}
	}()
	for i := 1; i <= total; i++ {
		if m := fast.next("message"); m["id"] != float64(i) {
			t.Fatalf("fast client: message %d has id %v", i, m["id"])
		}
	}
	waitOnlyOnline(t, a, room, alice.ID, "the slow client")
	if logs := a.logs.String(); !strings.Contains(logs, "dropping") {
		t.Fatalf("drop not logged: %s", logs)
	}
}
