package sockets_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/izpochat/server/internal/testdb"
)

// Read state (issue 23.5) on the real-time doors: mark_read on "/" and on
// "/rooms/<id>", {type:"read"} on the raw WebSocket; a moved marker reaches
// every door once as read, a marker that does not move sends nothing, and a
// refusal answers without breaking the connection.

// expectRead asserts every door gets read {room, user, message} once.
func (d doorsInRoom) expectRead(t *testing.T, room, userID int64, messageID float64) {
	t.Helper()
	check := func(name string, m map[string]any, typed bool) {
		t.Helper()
		if int64(m["room_id"].(float64)) != room || int64(m["user_id"].(float64)) != userID || m["message_id"] != messageID {
			t.Fatalf("%s: read %v, want room %d user %d message %v", name, m, room, userID, messageID)
		}
		if typed && m["type"] != "read" {
			t.Fatalf("%s: read without its type: %v", name, m)
		}
	}
	for name, c := range map[string]*sioClient{"main": d.main, "alias": d.alias} {
		check(name, c.next("read").Arg(t), false)
		c.none("read", 30*time.Millisecond)
	}
	check("/rooms", d.ns.next("read").Arg(t), true)
	check("raw", d.raw.next("read"), true)
}

func TestMarkReadOnEveryDoor(t *testing.T) {
	for _, driver := range testdb.Drivers() {
		t.Run(driver, func(t *testing.T) {
			a := newApp(t, driver)
			ann, ben := a.register("ann"), a.register("ben")
			room := a.createRoom(ann, "general", false)
			a.mustJSON("POST", fmt.Sprintf("/api/rooms/%d/join", room), ben.Token, nil, http.StatusOK)
			bens := openDoors(t, a, ben, room)
			annMain := mustDial(t, a, dialOpts{auth: map[string]any{"token": ann.Token}})
			annNs := mustDial(t, a, dialOpts{nsp: fmt.Sprintf("/rooms/%d", room), auth: map[string]any{"token": ann.Token}})
			annNs.next("welcome")
			annRaw := dialRaw(t, a, fmt.Sprintf("/api/ws/%d?token=%s", room, ann.Token), nil)
			annRaw.next("welcome")

			var ids []float64
			for _, text := range []string{"one", "two", "three"} {
				ids = append(ids, a.postREST(ben, room, text)["id"].(float64))
				bens.expectOnce(t, text)
			}

			// "/" (not joined to the room: marking needs reading, not joining).
			r := annMain.call("mark_read", map[string]any{"room_id": room, "message_id": ids[0]})
			if r["status"] != "success" || r["last_read_id"] != ids[0] || r["unread_count"] != float64(2) || int64(r["room_id"].(float64)) != room {
				t.Fatalf("mark_read ack: %v", r)
			}
			bens.expectRead(t, room, ann.ID, ids[0])
			// Backwards: accepted, nothing sent.
			if r := annMain.call("mark_read", map[string]any{"room_id": room, "message_id": ids[0]}); r["status"] != "success" || r["last_read_id"] != ids[0] {
				t.Fatalf("mark_read again: %v", r)
			}
			bens.main.none("read", 50*time.Millisecond)

			// "/rooms/<id>": its own room.
			if r := annNs.call("mark_read", map[string]any{"message_id": ids[1]}); r["status"] != "success" || r["last_read_id"] != ids[1] {
				t.Fatalf("/rooms mark_read ack: %v", r)
			}
			bens.expectRead(t, room, ann.ID, ids[1])

			// Raw WebSocket: its room.
			annRaw.send(map[string]any{"type": "read", "message_id": ids[2]})
			bens.expectRead(t, room, ann.ID, ids[2])
			if status, body := a.do("GET", fmt.Sprintf("/api/rooms/%d/reads", room), ben.Token, nil); status != http.StatusOK ||
				string(body) != fmt.Sprintf(`[{"user_id":%d,"last_read_id":%d}]`, ann.ID, int64(ids[2])) {
				t.Fatalf("receipts after the raw mark: %d %s", status, body)
			}

			// Refusals keep the connection.
			for _, bad := range []any{"garbage", map[string]any{"room_id": room}, map[string]any{"room_id": room, "message_id": "x"},
				map[string]any{"message_id": ids[0]}, map[string]any{"room_id": room, "message_id": 999999}} {
				if r := annMain.call("mark_read", bad); r["status"] != "error" {
					t.Fatalf("mark_read %v: %v", bad, r)
				}
			}
			if r := annNs.call("mark_read", map[string]any{}); r["status"] != "error" {
				t.Fatalf("/rooms mark_read without an id: %v", r)
			}
			annRaw.send(map[string]any{"type": "read", "message_id": -1})
			if e := annRaw.next("error"); e["code"] == "" {
				t.Fatalf("raw read with a bad id: %v", e)
			}
			annRaw.send(map[string]any{"type": "ping"})
			annRaw.next("pong")
			bens.raw.none("read", 50*time.Millisecond)
		})
	}
}

// A private room's outsider cannot mark it on any door.
func TestMarkReadRefusedToOutsiders(t *testing.T) {
	for _, driver := range testdb.Drivers() {
		t.Run(driver, func(t *testing.T) {
			a := newApp(t, driver)
			owner, eve := a.register("owner"), a.register("eve")
			room := a.createRoom(owner, "secret", true)
			msg := a.postREST(owner, room, "hidden")["id"]
			eveMain := mustDial(t, a, dialOpts{auth: map[string]any{"token": eve.Token}})
			if r := eveMain.call("mark_read", map[string]any{"room_id": room, "message_id": msg}); r["status"] != "error" || r["code"] != "forbidden" {
				t.Fatalf("outsider's mark_read: %v", r)
			}
		})
	}
}
