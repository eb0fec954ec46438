package sockets_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	ws "github.com/gorilla/websocket"
)

func TestRawWebSocketDoor(t *testing.T) {
	a := newApp(t, "sqlite")
	alice, bob := a.register("alice"), a.register("bob")
	room := a.createRoom(alice, "general", false)
	ca := dialRaw(t, a, fmt.Sprintf("/api/ws/%d?token=%s", room, alice.Token), nil)
	w := ca.next("welcome")
	if w["room_id"] != float64(room) || w["user_id"] != float64(alice.ID) || w["message"] == "" || w["timestamp"] == nil {
		t.Fatalf("welcome = %v", w)
	}
	if o := ca.next("users_online"); o["count"] != float64(1) || o["timestamp"] == nil {
		t.Fatalf("users_online = %v", o)
	}
	cb := dialRaw(t, a, fmt.Sprintf("/api/ws/%d/", room), http.Header{"Authorization": {"Bearer " + bob.Token}})
	cb.next("welcome")
	if j := ca.next("user_joined"); j["user_id"] != float64(bob.ID) || j["timestamp"] == nil {
		t.Fatalf("user_joined = %v", j)
	}

	cb.send(map[string]any{"type": "message", "content": "hi from raw"})
	for _, c := range []*rawClient{ca, cb} {
		m := c.next("message")
		if m["content"] != "hi from raw" || m["room_id"] != float64(room) || m["id"] == nil || m["timestamp"] == nil {
			t.Fatalf("message = %v", m)
		}
		if s, _ := m["sender"].(map[string]any); s["id"] != float64(bob.ID) {
			t.Fatalf("sender = %v", m["sender"])
		}
	}
	cb.send(map[string]any{"type": "typing", "typing": true})
	if ty := ca.next("typing"); ty["user_id"] != float64(bob.ID) || ty["typing"] != true || ty["timestamp"] == nil {
		t.Fatalf("typing = %v", ty)
	}
	cb.none("typing", 200*time.Millisecond)
	cb.send(map[string]any{"type": "ping"})
	if p := cb.next("pong"); p["user_id"] != float64(bob.ID) || p["timestamp"] == nil {
		t.Fatalf("pong = %v", p)
	}

	// Bad frames get an error frame and the connection stays open.
	for _, bad := range []string{`{not json`, `[1,2]`, `"text"`, `{"type":"dance"}`, `{"type":"message","content":"   "}`, `{"type":"message","content":"` + strings.Repeat("x", 6000) + `"}`} {
		cb.sendText(bad)
		if e := cb.next("error"); e["message"] == "" || e["message"] == nil {
			t.Fatalf("error frame for %s = %v", bad, e)
		}
	}
	cb.send(map[string]any{"type": "ping"})
	cb.next("pong")
	if n := a.countMessages(room); n != 1 {
		t.Fatalf("stored %d messages, want 1", n)
	}

	cb.conn.Close()
	if l := ca.next("user_left"); l["user_id"] != float64(bob.ID) {
		t.Fatalf("user_left = %v", l)
	}
}

func TestRawWebSocketRefusesWithPolicyViolation(t *testing.T) {
	a := newApp(t, "sqlite")
	owner, other := a.register("owner"), a.register("other")
	private := a.createRoom(owner, "secret", true)
	cases := map[string]string{
		"no token":     "/api/ws/1",
		"bad token":    "/api/ws/1?token=garbage",
		"missing room": "/api/ws/99999?token=" + other.Token,
		"private room": fmt.Sprintf("/api/ws/%d?token=%s", private, other.Token),
		"bad room id":  "/api/ws/abc?token=" + other.Token,
	}
	for name, path := range cases {
		t.Run(name, func(t *testing.T) {
			ce := dialRaw(t, a, path, nil).closeCode()
			if ce.Code != ws.ClosePolicyViolation || ce.Text == "" {
				t.Fatalf("close = %d %q, want 1008 with a reason", ce.Code, ce.Text)
			}
		})
	}
}
