package sockets_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/izpochat/server/internal/testdb"
)

// A frame without a type but with content is a message, as the FastAPI server
// took it: stored once and delivered to every raw client of the room (the
// sender included) with the superset's fields. A frame with neither type nor
// content gets an error frame and the connection goes on.
func TestRawWebSocketUntypedFrameIsAMessage(t *testing.T) {
	for _, driver := range testdb.Drivers() {
		t.Run(driver, func(t *testing.T) {
			a := newApp(t, driver)
			alice, bob := a.register("alice"), a.register("bob")
			room := a.createRoom(alice, "general", false)
			ca := dialRaw(t, a, fmt.Sprintf("/api/ws/%d?token=%s", room, alice.Token), nil)
			ca.next("welcome")
			cb := dialRaw(t, a, fmt.Sprintf("/api/ws/%d?token=%s", room, bob.Token), nil)
			cb.next("welcome")
			ca.next("user_joined")

			cb.sendText(`{"content":"  no type here  "}`)
			var id any
			for _, c := range []*rawClient{ca, cb} {
				m := c.next("message")
				r, _ := m["room"].(map[string]any)
				if m["content"] != "no type here" || m["sender_id"] != float64(bob.ID) || m["user_id"] != float64(bob.ID) ||
					r["id"] != float64(room) || r["name"] != "general" {
					t.Fatalf("message = %v", m)
				}
				if id != nil && m["id"] != id {
					t.Fatalf("two ids for one message: %v, %v", id, m["id"])
				}
				id = m["id"]
			}
			if n := a.countMessages(room); n != 1 {
				t.Fatalf("stored %d messages, want 1", n)
			}

			for _, bad := range []string{`{}`, `{"typing":true}`, `{"type":null}`, `{"content":"   "}`, `{"content":null}`} {
				cb.sendText(bad)
				e := cb.next("error")
				if msg, _ := e["message"].(string); msg == "" {
					t.Fatalf("error frame for %s = %v", bad, e)
				}
			}
			cb.send(map[string]any{"type": "ping"})
			cb.next("pong")
			cb.sendText(`{"content":"still here"}`)
			if m := ca.next("message"); m["content"] != "still here" {
				t.Fatalf("message after the bad frames = %v", m)
			}
			if n := a.countMessages(room); n != 2 {
				t.Fatalf("stored %d messages, want 2", n)
			}
		})
	}
}

// GET /api/ws/rooms/{id}/online takes the token from ?token= too (the FastAPI
// generation read it there); a bad one is 401, a private room's outsider 403.
func TestOnlineAcceptsQueryToken(t *testing.T) {
	for _, driver := range testdb.Drivers() {
		t.Run(driver, func(t *testing.T) {
			a := newApp(t, driver)
			alice, eve := a.register("alice"), a.register("eve")
			room := a.createRoom(alice, "general", false)
			private := a.createRoom(alice, "secret", true)
			ca := dialRaw(t, a, fmt.Sprintf("/api/ws/%d?token=%s", room, alice.Token), nil)
			ca.next("welcome")

			status, body := a.do("GET", fmt.Sprintf("/api/ws/rooms/%d/online?token=%s", room, eve.Token), "", nil)
			var got struct {
				RoomID      int64            `json:"room_id"`
				OnlineUsers []map[string]any `json:"online_users"`
				Count       int              `json:"count"`
			}
			if status != http.StatusOK || json.Unmarshal(body, &got) != nil || got.RoomID != room || got.Count != 1 ||
				len(got.OnlineUsers) != 1 || got.OnlineUsers[0]["id"] != float64(alice.ID) {
				t.Fatalf("online with ?token=: %d %s", status, body)
			}
			// The header still works, and wins over the query.
			if status, body := a.do("GET", fmt.Sprintf("/api/ws/rooms/%d/online?token=garbage", room), eve.Token, nil); status != http.StatusOK {
				t.Fatalf("online with a header: %d %s", status, body)
			}
			for path, want := range map[string]int{
				fmt.Sprintf("/api/ws/rooms/%d/online?token=garbage", room):          http.StatusUnauthorized,
				fmt.Sprintf("/api/ws/rooms/%d/online", room):                        http.StatusUnauthorized,
				fmt.Sprintf("/api/ws/rooms/%d/online?token=%s", private, eve.Token): http.StatusForbidden,
				fmt.Sprintf("/api/ws/rooms/999999/online?token=%s", eve.Token):      http.StatusNotFound,
			} {
				status, body := a.do("GET", path, "", nil)
				var e map[string]any
				if status != want || json.Unmarshal(body, &e) != nil || e["error"] == nil || e["error"] != e["detail"] {
					t.Errorf("GET %s: %d %s, want %d in the error shape", path, status, body, want)
				}
			}
		})
	}
}
