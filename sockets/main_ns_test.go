package sockets_test

import (
	"strings"
	"testing"
	"time"
)

func TestJoinSendTypingLeaveOnMainNamespace(t *testing.T) {
	a := newApp(t, "sqlite")
	alice, bob := a.register("alice"), a.register("bob")
	room := a.createRoom(alice, "general", false)
	ca := mustDial(t, a, dialOpts{auth: map[string]any{"token": alice.Token}})
	cb := mustDial(t, a, dialOpts{nsp: "/socket.io", auth: map[string]any{"token": bob.Token}})

	ack := ca.call("join_room", map[string]any{"room_id": room})
	if ack["status"] != "success" || ack["room_id"] != float64(room) {
		t.Fatalf("join ack = %v", ack)
	}
	if j := ca.next("joined_room").Arg(t); j["room_id"] != float64(room) || j["username"] != "alice" || j["message"] == "" {
		t.Fatalf("joined_room = %v", j)
	}
	if o := ca.next("users_online").Arg(t); o["count"] != float64(1) || o["room_id"] != float64(room) {
		t.Fatalf("users_online = %v", o)
	}

	// Bob joins with the room id as a numeric string, on the alias namespace.
	if ack := cb.call("join_room", map[string]any{"room_id": itoa(room)}); ack["status"] != "success" {
		t.Fatalf("join with string id: %v", ack)
	}
	o := cb.next("users_online").Arg(t)
	users, _ := o["users"].([]any)
	if o["count"] != float64(2) || len(users) != 2 {
		t.Fatalf("users_online = %v", o)
	}
	if first, _ := users[0].(map[string]any); first["id"] != float64(alice.ID) || first["username"] != "alice" {
		t.Fatalf("users[0] = %v", users[0])
	}
	if j := ca.next("user_joined").Arg(t); j["user_id"] != float64(bob.ID) || j["username"] != "bob" || j["room_id"] != float64(room) || j["timestamp"] == nil {
		t.Fatalf("user_joined = %v", j)
	}
	cb.none("user_joined", 200*time.Millisecond)

	// send_message: stored, new_message to the room (sender included), message_sent to the sender.
	sent := ca.call("send_message", map[string]any{"room_id": room, "content": "  hello bob  "})
	if sent["status"] != "success" || sent["message_id"] == nil || sent["timestamp"] == nil {
		t.Fatalf("send ack = %v", sent)
	}
	for _, c := range []*sioClient{ca, cb} {
		m := c.next("new_message").Arg(t)
		if m["content"] != "hello bob" || m["type"] != "message" || m["timestamp"] != m["created_at"] ||
			m["id"] != sent["message_id"] || m["room_id"] != float64(room) || m["username"] != "alice" {
			t.Fatalf("new_message = %v", m)
		}
		sender, _ := m["sender"].(map[string]any)
		if sender["id"] != float64(alice.ID) || m["file_url"] != nil || m["file_id"] != nil {
			t.Fatalf("new_message sender/file = %v", m)
		}
	}
	if ms := ca.next("message_sent").Arg(t); ms["status"] != "success" || ms["message_id"] != sent["message_id"] || ms["timestamp"] == nil {
		t.Fatalf("message_sent = %v", ms)
	}
	if n := a.countMessages(room); n != 1 {
		t.Fatalf("stored %d messages, want 1", n)
	}

	// typing goes to the others only.
	if ack := cb.call("typing", map[string]any{"room_id": room, "typing": true}); ack["status"] != "success" {
		t.Fatalf("typing ack = %v", ack)
	}
	if ty := ca.next("typing").Arg(t); ty["user_id"] != float64(bob.ID) || ty["typing"] != true || ty["room_id"] != float64(room) || ty["username"] != "bob" {
		t.Fatalf("typing = %v", ty)
	}
	cb.none("typing", 200*time.Millisecond)

	// leave_room: left_room to the room, user_left to the others.
	if ack := cb.call("leave_room", map[string]any{"room_id": room}); ack["status"] != "success" {
		t.Fatalf("leave ack = %v", ack)
	}
	if l := cb.next("left_room").Arg(t); l["room_id"] != float64(room) || l["username"] != "bob" {
		t.Fatalf("left_room = %v", l)
	}
	if l := ca.next("user_left").Arg(t); l["user_id"] != float64(bob.ID) {
		t.Fatalf("user_left = %v", l)
	}
	// Bob no longer gets the room's messages.
	ca.call("send_message", map[string]any{"room_id": room, "content": "gone?"})
	ca.next("new_message")
	cb.none("new_message", 300*time.Millisecond)

	// Disconnect announces the last connection leaving.
	cb.call("join_room", map[string]any{"room_id": room})
	ca.next("user_joined")
	cb.close()
	if l := ca.next("user_left").Arg(t); l["user_id"] != float64(bob.ID) {
		t.Fatalf("user_left on disconnect = %v", l)
	}
}

func TestBadInputGetsErrorEventAndAckAndConnectionStaysUsable(t *testing.T) {
	a := newApp(t, "sqlite", withMaxMessageLength(100))
	alice, bob := a.register("alice"), a.register("bob")
	room := a.createRoom(alice, "general", false)
	private := a.createRoom(bob, "bobs", true)
	c := mustDial(t, a, dialOpts{auth: map[string]any{"token": alice.Token}})
	c.call("join_room", map[string]any{"room_id": room})

	cases := []struct {
		name  string
		event string
		arg   any
		code  string
	}{
		{"string payload", "join_room", "hello", "invalid_input"},
		{"number payload", "send_message", 42, "invalid_input"},
		{"list payload", "join_room", []any{1, 2}, "invalid_input"},
		{"null payload", "join_room", nil, "invalid_input"},
		{"missing room_id", "join_room", map[string]any{}, "invalid_input"},
		{"non-numeric room_id", "join_room", map[string]any{"room_id": "abc"}, "invalid_input"},
		{"fractional room_id", "join_room", map[string]any{"room_id": 1.5}, "invalid_input"},
		{"unknown room", "join_room", map[string]any{"room_id": 99999}, "not_found"},
		{"private room of others", "join_room", map[string]any{"room_id": private}, "forbidden"},
		{"send to private room of others", "send_message", map[string]any{"room_id": private, "content": "hi"}, "forbidden"},
		{"missing content", "send_message", map[string]any{"room_id": room}, "invalid_input"},
		{"blank content", "send_message", map[string]any{"room_id": room, "content": "   "}, "invalid_input"},
		{"content not a string", "send_message", map[string]any{"room_id": room, "content": map[string]any{"x": 1}}, "invalid_input"},
		{"huge content", "send_message", map[string]any{"room_id": room, "content": strings.Repeat("x", 101)}, "invalid_input"},
		{"bad file_id", "send_message", map[string]any{"room_id": room, "content": "x", "file_id": "nope"}, "invalid_input"},
		{"typing unknown room", "typing", map[string]any{"room_id": 424242, "typing": true}, "not_found"},
		{"leave without room", "leave_room", map[string]any{"room": 1}, "invalid_input"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ack := c.call(tc.event, tc.arg)
			if ack["status"] != "error" || ack["error"] == "" || ack["error"] == nil {
				t.Fatalf("ack = %v, want an error ack", ack)
			}
			ev := c.next("error").Arg(t)
			if ev["code"] != tc.code || ev["message"] != ack["error"] {
				t.Fatalf("error event = %v (ack %v), want code %s", ev, ack, tc.code)
			}
		})
	}
	// Without an ack the error event still comes, and nothing else happens.
	c.emitRaw("send_message", `"not an object"`)
	if ev := c.next("error").Arg(t); ev["code"] != "invalid_input" {
		t.Fatalf("error event = %v", ev)
	}
	// The connection is still usable, and nothing was stored by the bad inputs.
	if ack := c.call("send_message", map[string]any{"room_id": room, "content": "still here"}); ack["status"] != "success" {
		t.Fatalf("after bad input: %v", ack)
	}
	if n := a.countMessages(room); n != 1 {
		t.Fatalf("stored %d messages, want 1", n)
	}
}

// Who gets a room's messages follows joins and leaves at once, also right
// after messages went to the room (the adapter keeps each room's member list).
func TestRoomMessagesFollowJoinsAndLeaves(t *testing.T) {
	a := newApp(t, "sqlite")
	alice, bob := a.register("alice"), a.register("bob")
	room := a.createRoom(alice, "general", false)
	ca := mustDial(t, a, dialOpts{auth: map[string]any{"token": alice.Token}})
	cb := mustDial(t, a, dialOpts{auth: map[string]any{"token": bob.Token}})
	ca.call("join_room", map[string]any{"room_id": room})
	ca.call("send_message", map[string]any{"room_id": room, "content": "before bob"})
	ca.next("new_message")

	cb.call("join_room", map[string]any{"room_id": room})
	ca.call("send_message", map[string]any{"room_id": room, "content": "with bob"})
	if m := cb.next("new_message").Arg(t); m["content"] != "with bob" {
		t.Fatalf("bob got %v, want the message sent after he joined", m)
	}
	ca.next("new_message")

	cb.call("leave_room", map[string]any{"room_id": room})
	ca.call("send_message", map[string]any{"room_id": room, "content": "after bob"})
	if m := ca.next("new_message").Arg(t); m["content"] != "after bob" {
		t.Fatalf("alice got %v", m)
	}
	cb.none("new_message", 300*time.Millisecond)
}
