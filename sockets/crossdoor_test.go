package sockets_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/izpochat/server/internal/testdb"
)

// doorsInRoom is one listener per door in one room.
type doorsInRoom struct {
	main  *sioClient // "/" joined to the room
	alias *sioClient // "/socket.io" joined to the room
	ns    *sioClient // "/rooms/<id>"
	raw   *rawClient // /api/ws/<id>
}

func openDoors(t *testing.T, a *app, u user, room int64) doorsInRoom {
	t.Helper()
	d := doorsInRoom{
		main:  mustDial(t, a, dialOpts{auth: map[string]any{"token": u.Token}}),
		alias: mustDial(t, a, dialOpts{nsp: "/socket.io", query: "token=" + u.Token}),
		ns:    mustDial(t, a, dialOpts{nsp: fmt.Sprintf("/rooms/%d", room), auth: map[string]any{"token": u.Token}}),
		raw:   dialRaw(t, a, fmt.Sprintf("/api/ws/%d?token=%s", room, u.Token), nil),
	}
	d.main.call("join_room", map[string]any{"room_id": room})
	d.alias.call("join_room", map[string]any{"room_id": room})
	d.ns.next("welcome")
	d.raw.next("welcome")
	return d
}

// actingDoors opens u's three doors of room to act through: "/" joined to the
// room, the room's namespace and the raw WebSocket, their welcomes read.
func actingDoors(t *testing.T, a *app, u user, room int64) (main, ns *sioClient, raw *rawClient) {
	t.Helper()
	main = mustDial(t, a, dialOpts{auth: map[string]any{"token": u.Token}})
	main.call("join_room", map[string]any{"room_id": room})
	ns = mustDial(t, a, dialOpts{nsp: fmt.Sprintf("/rooms/%d", room), auth: map[string]any{"token": u.Token}})
	ns.next("welcome")
	raw = dialRaw(t, a, fmt.Sprintf("/api/ws/%d?token=%s", room, u.Token), nil)
	raw.next("welcome")
	return main, ns, raw
}

// expectOnce asserts every door gets the message with this content exactly once.
func (d doorsInRoom) expectOnce(t *testing.T, content string) {
	t.Helper()
	for name, c := range map[string]*sioClient{"main": d.main, "alias": d.alias} {
		if m := c.next("new_message").Arg(t); m["content"] != content {
			t.Fatalf("%s: new_message %v, want %q", name, m, content)
		}
	}
	if m := d.ns.next("message").Arg(t); m["content"] != content || m["type"] != "message" {
		t.Fatalf("/rooms: message %v, want %q", m, content)
	}
	if m := d.raw.next("message"); m["content"] != content {
		t.Fatalf("raw: message %v, want %q", m, content)
	}
}

func (d doorsInRoom) expectNoMore(t *testing.T) {
	t.Helper()
	d.main.none("new_message", 150*time.Millisecond)
	d.alias.none("new_message", 50*time.Millisecond)
	d.ns.none("message", 50*time.Millisecond)
	d.raw.none("message", 50*time.Millisecond)
}

func TestEveryDoorReachesEveryOtherExactlyOnce(t *testing.T) {
	for _, driver := range testdb.Drivers() {
		t.Run(driver, func(t *testing.T) {
			a := newApp(t, driver)
			alice, bob := a.register("alice"), a.register("bob")
			room := a.createRoom(alice, "general", false)
			listeners := openDoors(t, a, bob, room)
			senders := openDoors(t, a, alice, room)

			send := map[string]func(content string){
				"rest": func(c string) { a.postREST(alice, room, c) },
				"send_message on /": func(c string) {
					senders.main.call("send_message", map[string]any{"room_id": room, "content": c})
				},
				"send_message on /socket.io": func(c string) {
					senders.alias.call("send_message", map[string]any{"room_id": fmt.Sprint(room), "content": c})
				},
				"message on /rooms/<id>": func(c string) {
					if ack := senders.ns.call("message", map[string]any{"content": c}); ack["status"] != "success" {
						t.Fatalf("message ack = %v", ack)
					}
				},
				"raw message": func(c string) { senders.raw.send(map[string]any{"type": "message", "content": c}) },
			}
			n := 0
			for name, fn := range send {
				content := "via " + name
				fn(content)
				listeners.expectOnce(t, content)
				senders.expectOnce(t, content) // the sender's own doors get it too
				n++
			}
			listeners.expectNoMore(t)
			if got := a.countMessages(room); got != int64(n) {
				t.Fatalf("stored %d messages, want %d", got, n)
			}
		})
	}
}

func TestPresenceIsPerUserAcrossDoorsAndTabs(t *testing.T) {
	a := newApp(t, "sqlite")
	alice, bob := a.register("alice"), a.register("bob")
	room := a.createRoom(alice, "general", false)
	watcher := dialRaw(t, a, fmt.Sprintf("/api/ws/%d?token=%s", room, alice.Token), nil)
	watcher.next("welcome")

	tab1 := mustDial(t, a, dialOpts{auth: map[string]any{"token": bob.Token}})
	tab1.call("join_room", map[string]any{"room_id": room})
	if j := watcher.next("user_joined"); j["user_id"] != float64(bob.ID) {
		t.Fatalf("user_joined = %v", j)
	}
	tab2 := dialRaw(t, a, fmt.Sprintf("/api/ws/%d?token=%s", room, bob.Token), nil)
	if o := tab2.next("users_online"); o["count"] != float64(2) {
		t.Fatalf("users_online with two tabs of bob = %v", o)
	}
	tab3 := mustDial(t, a, dialOpts{nsp: fmt.Sprintf("/rooms/%d", room), auth: map[string]any{"token": bob.Token}})
	tab3.next("welcome")
	watcher.none("user_joined", 200*time.Millisecond) // bob was online already

	tab1.close()
	tab2.conn.Close()
	watcher.none("user_left", 300*time.Millisecond) // bob still has tab3
	status, body := a.do("GET", fmt.Sprintf("/api/ws/rooms/%d/online", room), alice.Token, nil)
	if status != 200 || !strings.Contains(string(body), `"count":2`) {
		t.Fatalf("online = %d %s", status, body)
	}
	tab3.close()
	if l := watcher.next("user_left"); l["user_id"] != float64(bob.ID) {
		t.Fatalf("user_left = %v", l)
	}
}
