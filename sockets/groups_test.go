package sockets_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/izpochat/server/internal/testdb"
)

// Issue 23 on the real-time doors: edits and deletions made on one door reach
// every door once, refusals answer without breaking the connection, a removal
// cuts live delivery at once, and a recovering client never gets a deleted
// message's text.

// expectEdited asserts every door gets message_edited for id with content once.
func (d doorsInRoom) expectEdited(t *testing.T, id float64, content string) {
	t.Helper()
	for name, c := range map[string]*sioClient{"main": d.main, "alias": d.alias} {
		if m := c.next("message_edited").Arg(t); m["id"] != id || m["content"] != content || m["edited_at"] == nil {
			t.Fatalf("%s: message_edited %v, want %v %q", name, m, id, content)
		}
		c.none("message_edited", 30*time.Millisecond)
	}
	if m := d.ns.next("message_edited").Arg(t); m["id"] != id || m["content"] != content || m["type"] != "message_edited" {
		t.Fatalf("/rooms: message_edited %v", m)
	}
	if m := d.raw.next("message_edited"); m["id"] != id || m["content"] != content {
		t.Fatalf("raw: message_edited %v", m)
	}
}

// expectDeleted asserts every door gets message_deleted for id once, without text.
func (d doorsInRoom) expectDeleted(t *testing.T, id float64, room int64) {
	t.Helper()
	check := func(name string, m map[string]any) {
		t.Helper()
		if m["id"] != id || int64(m["room_id"].(float64)) != room || m["deleted_at"] == nil || m["content"] != nil {
			t.Fatalf("%s: message_deleted %v, want id %v", name, m, id)
		}
	}
	for name, c := range map[string]*sioClient{"main": d.main, "alias": d.alias} {
		check(name, c.next("message_deleted").Arg(t))
		c.none("message_deleted", 30*time.Millisecond)
	}
	m := d.ns.next("message_deleted").Arg(t)
	check("/rooms", m)
	if m["type"] != "message_deleted" {
		t.Fatalf("/rooms: message_deleted without its type: %v", m)
	}
	check("raw", d.raw.next("message_deleted"))
}

func TestEditAndDeleteReachEveryDoorOnce(t *testing.T) {
	for _, driver := range testdb.Drivers() {
		t.Run(driver, func(t *testing.T) {
			a := newApp(t, driver)
			ann, ben := a.register("ann"), a.register("ben")
			room := a.createRoom(ann, "general", false)
			a.mustJSON("POST", fmt.Sprintf("/api/rooms/%d/join", room), ben.Token, nil, http.StatusOK)
			bens := openDoors(t, a, ben, room)
			annMain, annNs, annRaw := actingDoors(t, a, ann, room)

			// A message posted as a reply, edited on "/", edited again on
			// "/rooms/<id>", deleted over the raw WebSocket.
			first := a.postREST(ann, room, "question")
			bens.expectOnce(t, "question")
			ack := annMain.call("send_message", map[string]any{"room_id": room, "content": "answr", "reply_to_id": first["id"]})
			msg := ack["message"].(map[string]any)
			if rt, _ := msg["reply_to"].(map[string]any); rt == nil || rt["id"] != first["id"] || rt["content"] != "question" {
				t.Fatalf("send_message reply: %v", msg)
			}
			bens.expectOnce(t, "answr")
			id := msg["id"].(float64)

			// Refused: ben is not the author; the connection stays and still works.
			if r := bens.main.call("edit_message", map[string]any{"message_id": id, "content": "mine now"}); r["status"] != "error" || r["code"] != "forbidden" {
				t.Fatalf("ben's edit ack: %v", r)
			}
			if r := bens.ns.call("delete_message", map[string]any{"message_id": id}); r["status"] != "error" || r["code"] != "forbidden" {
				t.Fatalf("ben's delete ack: %v", r)
			}
			bens.raw.send(map[string]any{"type": "edit", "message_id": id, "content": "mine"})
			if e := bens.raw.next("error"); e["code"] != "forbidden" {
				t.Fatalf("ben's raw edit: %v", e)
			}
			bens.raw.send(map[string]any{"type": "delete", "message_id": "abc"})
			if e := bens.raw.next("error"); e["code"] == "" || !strings.Contains(e["message"].(string), "message_id") {
				t.Fatalf("raw delete with a bad id: %v", e)
			}
			if r := annMain.call("edit_message", map[string]any{"message_id": id}); r["status"] != "error" {
				t.Fatalf("edit without content: %v", r)
			}
			if r := annMain.call("edit_message", "garbage"); r["status"] != "error" {
				t.Fatalf("edit with a bad payload: %v", r)
			}
			bens.raw.send(map[string]any{"type": "ping"})
			bens.raw.next("pong")

			r := annMain.call("edit_message", map[string]any{"message_id": id, "content": "answer"})
			if r["status"] != "success" || r["message_id"] != id || r["message"].(map[string]any)["content"] != "answer" {
				t.Fatalf("edit ack: %v", r)
			}
			bens.expectEdited(t, id, "answer")
			if r := annNs.call("edit_message", map[string]any{"message_id": id, "content": "answer!"}); r["status"] != "success" {
				t.Fatalf("/rooms edit ack: %v", r)
			}
			bens.expectEdited(t, id, "answer!")

			annRaw.send(map[string]any{"type": "delete", "message_id": id})
			bens.expectDeleted(t, id, room)
			if r := annMain.call("delete_message", map[string]any{"message_id": id}); r["status"] != "error" || r["code"] != "not_found" {
				t.Fatalf("second delete: %v", r)
			}
			if status, body := a.do("GET", fmt.Sprintf("/api/rooms/%d/messages?include_deleted=true", room), ben.Token, nil); status != http.StatusOK ||
				strings.Contains(string(body), "answer") {
				t.Fatalf("history after delete: %d %s", status, body)
			}
		})
	}
}

// The owner removes a member of a private room: every door of that member
// stops at once and is told (reason removed); the others go on.
func TestRemovalEndsLiveDeliveryOnEveryDoor(t *testing.T) {
	for _, driver := range testdb.Drivers() {
		t.Run(driver, func(t *testing.T) {
			a := newApp(t, driver)
			owner, ben := a.register("owner"), a.register("ben")
			room := a.createRoom(owner, "group", true)
			a.mustJSON("POST", fmt.Sprintf("/api/rooms/%d/members", room), owner.Token, map[string]any{"user_id": ben.ID}, http.StatusCreated)
			bens := openDoors(t, a, ben, room)
			ownerMain := mustDial(t, a, dialOpts{auth: map[string]any{"token": owner.Token}})
			ownerMain.call("join_room", map[string]any{"room_id": room})
			a.postREST(owner, room, "welcome ben")
			bens.expectOnce(t, "welcome ben")

			if status, body := a.do("DELETE", fmt.Sprintf("/api/rooms/%d/members/%d", room, ben.ID), owner.Token, nil); status != http.StatusNoContent {
				t.Fatalf("remove: %d %s", status, body)
			}
			if m := ownerMain.next("member_removed").Arg(t); int64(m["user_id"].(float64)) != ben.ID || int64(m["by_user_id"].(float64)) != owner.ID {
				t.Fatalf("member_removed: %v", m)
			}
			bens.expectCut(t, room, "removed")
			a.postREST(owner, room, "after ben")
			bens.expectNothing(t)
			if ack := bens.main.call("join_room", map[string]any{"room_id": room}); ack["status"] != "error" {
				t.Fatalf("ben rejoined: %v", ack)
			}
		})
	}
}

// A client that dropped out and recovers after a message was posted and then
// deleted gets the deletion, never the text (nor its edits).
func TestRecoveryNeverReplaysADeletedMessagesText(t *testing.T) {
	a := newApp(t, "sqlite")
	owner, bob := a.register("owner"), a.register("bob")
	room := a.createRoom(owner, "open", false)
	_, pid, offset := awayAfter(t, a, bob, owner, room, "seen")

	secret := a.postREST(owner, room, "the secret text")
	kept := a.postREST(owner, room, "kept")
	path := fmt.Sprintf("/api/messages/%d", int64(secret["id"].(float64)))
	if status, body := a.do("PATCH", path, owner.Token, map[string]any{"content": "the edited secret"}); status != http.StatusOK {
		t.Fatalf("edit: %d %s", status, body)
	}
	if status, body := a.do("DELETE", path, owner.Token, nil); status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", status, body)
	}

	r, connect, err := dialSIO(t, a, dialOpts{auth: map[string]any{"token": bob.Token, "pid": pid, "offset": offset}})
	if err != nil || connect["pid"] != pid {
		t.Fatalf("bob not recovered: %v %v", connect, err)
	}
	a.postREST(owner, room, "live")
	var got []string
	deadline := time.After(5 * time.Second)
	for {
		select {
		case ev := <-r.events:
			raw := ""
			for _, arg := range ev.Args {
				raw += string(arg)
			}
			if strings.Contains(raw, "secret") {
				t.Fatalf("recovered %s with a deleted message's text: %s", ev.Name, raw)
			}
			switch ev.Name {
			case "new_message":
				m := ev.Arg(t)
				got = append(got, m["content"].(string))
				if m["content"] == "live" {
					if len(got) != 3 || got[0] != kept["content"] || got[1] != "deleted" {
						t.Fatalf("bob got %q, want the kept message, the deletion, then live", got)
					}
					return
				}
			case "message_deleted":
				if m := ev.Arg(t); m["id"] != secret["id"] {
					t.Fatalf("message_deleted %v", m)
				}
				got = append(got, "deleted")
			}
		case <-deadline:
			t.Fatalf("no live message; got %q", got)
		}
	}
}

// The same on a per-room namespace: its kept "message" packet of a deleted
// message is never replayed.
func TestRoomNamespaceRecoveryNeverReplaysADeletedMessagesText(t *testing.T) {
	a := newApp(t, "sqlite")
	owner, bob := a.register("owner"), a.register("bob")
	room := a.createRoom(owner, "open", false)
	nsp := fmt.Sprintf("/rooms/%d", room)
	pid, offset := droppedRoomSession(t, a, nsp, bob.Token, func() { a.postREST(owner, room, "seen") })
	secret := a.postREST(owner, room, "the secret text")
	if status, body := a.do("DELETE", fmt.Sprintf("/api/messages/%d", int64(secret["id"].(float64))), owner.Token, nil); status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", status, body)
	}
	r, connect, err := dialSIO(t, a, dialOpts{nsp: nsp, auth: map[string]any{"token": bob.Token, "pid": pid, "offset": offset}})
	if err != nil || connect["pid"] != pid {
		t.Fatalf("bob not recovered: %v %v", connect, err)
	}
	deleted := false
	deadline := time.After(5 * time.Second)
	for {
		select {
		case ev := <-r.events: // every event, in order
			switch ev.Name {
			case "message_deleted":
				if m := ev.Arg(t); m["id"] != secret["id"] || m["type"] != "message_deleted" {
					t.Fatalf("message_deleted %v", m)
				}
				deleted = true
				a.postREST(owner, room, "live") // the socket is back in the room by now
			case "message":
				if m := ev.Arg(t); m["content"] != "live" || !deleted {
					t.Fatalf("recovered %v (deletion seen first: %v)", m, deleted)
				}
				return
			}
		case <-deadline:
			t.Fatal("no live message")
		}
	}
}
