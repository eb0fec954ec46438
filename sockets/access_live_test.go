package sockets_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	ws "github.com/gorilla/websocket"

	"github.com/izpochat/server/internal/testdb"
	"github.com/izpochat/server/internal/testkit"
)

// expectCut asserts every door of d was told its access to room ended, in its
// own terms, with reason: "/" and "/socket.io" get left_room, "/rooms/<id>" an
// error event then a namespace disconnect, the raw door an error frame then
// close 1008.
func (d doorsInRoom) expectCut(t *testing.T, room int64, reason string) {
	t.Helper()
	for name, c := range map[string]*sioClient{"main": d.main, "alias": d.alias} {
		m := c.next("left_room").Arg(t)
		if int64(m["room_id"].(float64)) != room || m["reason"] != reason {
			t.Fatalf("%s: left_room %v, want room %d reason %q", name, m, room, reason)
		}
	}
	if m := d.ns.next("error").Arg(t); m["code"] != "access_revoked" || m["reason"] != reason {
		t.Fatalf("/rooms: error %v, want access_revoked %q", m, reason)
	}
	d.ns.next("disconnect")
	// The reader queues every frame before it reports the close.
	if ce := d.raw.closeCode(); ce.Code != ws.ClosePolicyViolation {
		t.Fatalf("raw close = %d %q, want 1008", ce.Code, ce.Text)
	}
	for {
		select {
		case m := <-d.raw.frames:
			if m["type"] != "error" {
				continue
			}
			if m["code"] != "access_revoked" || m["reason"] != reason {
				t.Fatalf("raw: error %v, want access_revoked %q", m, reason)
			}
			return
		default:
			t.Fatal("raw: closed without an error frame first")
		}
	}
}

// expectNothing asserts no door of d gets a message, typing or presence event.
func (d doorsInRoom) expectNothing(t *testing.T) {
	t.Helper()
	for _, c := range []*sioClient{d.main, d.alias} {
		for _, name := range []string{"new_message", "typing", "user_joined"} {
			c.none(name, 50*time.Millisecond)
		}
	}
	for _, name := range []string{"message", "typing", "user_joined"} {
		d.ns.none(name, 50*time.Millisecond)
	}
}

// B leaves a two-person conversation: all of B's connections stop receiving
// it at once and are told; A sees B leave; history and live agree.
func TestLeavingAConversationEndsLiveDeliveryOnEveryDoor(t *testing.T) {
	for _, driver := range testdb.Drivers() {
		t.Run(driver, func(t *testing.T) {
			a := newApp(t, driver)
			ann, ben := a.register("ann"), a.register("ben")
			conv := a.mustJSON("POST", "/api/conversations", ann.Token, map[string]any{"recipient_id": ben.ID}, http.StatusCreated)
			room := int64(conv["room_id"].(float64))
			annMain := mustDial(t, a, dialOpts{auth: map[string]any{"token": ann.Token}})
			annMain.call("join_room", map[string]any{"room_id": room})
			bens := openDoors(t, a, ben, room)
			a.postREST(ann, room, "before")
			bens.expectOnce(t, "before")

			a.mustJSON("POST", fmt.Sprintf("/api/rooms/%d/leave", room), ben.Token, nil, http.StatusOK)
			bens.expectCut(t, room, "left")
			if m := annMain.next("user_left").Arg(t); int64(m["user_id"].(float64)) != ben.ID {
				t.Fatalf("ann: user_left %v, want ben", m)
			}
			if status, _ := a.do("GET", fmt.Sprintf("/api/rooms/%d/messages", room), ben.Token, nil); status != http.StatusForbidden {
				t.Fatalf("ben's history after leaving: %d, want 403", status)
			}

			a.postREST(ann, room, "after")
			annMain.emit("typing", map[string]any{"room_id": room, "typing": true})
			if m := annMain.next("new_message").Arg(t); m["content"] != "after" {
				t.Fatalf("ann: %v", m)
			}
			bens.expectNothing(t)
			// The "/" socket is still connected, only out of the room.
			if ack := bens.main.call("send_message", map[string]any{"room_id": room, "content": "let me in"}); ack["status"] != "error" {
				t.Fatalf("ben posted after leaving: %v", ack)
			}
		})
	}
}

// A public room made private: joined non-members stop getting its messages,
// typing and presence on every door; members keep them.
func TestRoomMadePrivateCutsNonMembersOnEveryDoor(t *testing.T) {
	a := newApp(t, "sqlite")
	owner, member, eve := a.register("owner"), a.register("member"), a.register("eve")
	room := a.createRoom(owner, "general", false)
	a.mustJSON("POST", fmt.Sprintf("/api/rooms/%d/join", room), member.Token, nil, http.StatusOK)
	eves := openDoors(t, a, eve, room)
	members := openDoors(t, a, member, room)
	ownerMain := mustDial(t, a, dialOpts{auth: map[string]any{"token": owner.Token}})
	ownerMain.call("join_room", map[string]any{"room_id": room})
	a.postREST(owner, room, "open")
	eves.expectOnce(t, "open")
	members.expectOnce(t, "open")

	a.mustJSON("PUT", fmt.Sprintf("/api/rooms/%d", room), owner.Token, map[string]any{"is_private": true}, http.StatusOK)
	eves.expectCut(t, room, "room_private")

	a.postREST(owner, room, "members only")
	ownerMain.emit("typing", map[string]any{"room_id": room, "typing": true})
	late := mustDial(t, a, dialOpts{auth: map[string]any{"token": owner.Token}}) // presence: owner is online already
	late.call("join_room", map[string]any{"room_id": room})
	newcomer := a.register("newcomer")
	a.mustJSON("POST", fmt.Sprintf("/api/rooms/%d/join", room), newcomer.Token, nil, http.StatusForbidden)
	members.expectOnce(t, "members only")
	if m := members.ns.next("typing").Arg(t); int64(m["user_id"].(float64)) != owner.ID {
		t.Fatalf("member: typing %v", m)
	}
	eves.expectNothing(t)
}

// dialRecovering connects the kit's client with a namespace CONNECT carrying a
// recovery pid and offset, and reports every event the server sent before its
// answer, and whether the answer was a CONNECT_ERROR.
func dialRecovering(t *testing.T, a *app, auth map[string]any) (early []string, refused bool) {
	t.Helper()
	c, _, err := testkit.Dial(t, a.srv.URL, testkit.DialOptions{Auth: auth, BeforeConnect: func(ev testkit.Event) {
		early = append(early, fmt.Sprintf("%s %s", ev.Name, ev.Args))
	}})
	if c != nil {
		c.Close()
	}
	return early, err != nil
}

// A socket that recovers a session gets nothing of it before it is
// authenticated, nothing at all when it authenticates as someone else, and
// only the rooms it may still read when it is the same user.
func TestRecoveryRespectsAuthenticationAndAccess(t *testing.T) {
	a := newApp(t, "sqlite")
	owner, bob, eve := a.register("owner"), a.register("bob"), a.register("eve")
	secret := a.createRoom(owner, "secret", true)
	open := a.createRoom(owner, "open", false)
	addMember(t, a, secret, bob)

	// bob drops out of two rooms and misses a message in each.
	drop := func() (pid, offset string) {
		t.Helper()
		c, connect, err := dialSIO(t, a, dialOpts{auth: map[string]any{"token": bob.Token}})
		if err != nil {
			t.Fatal(err)
		}
		pid, _ = connect["pid"].(string)
		c.call("join_room", map[string]any{"room_id": secret})
		c.call("join_room", map[string]any{"room_id": open})
		a.postREST(owner, open, "seen")
		ev := c.next("new_message")
		offset = mustString(t, ev.Args[len(ev.Args)-1])
		c.close()
		time.Sleep(200 * time.Millisecond) // the server sees the drop and keeps the session
		a.postREST(owner, secret, "missed secret")
		a.postREST(owner, open, "missed open")
		return pid, offset
	}

	// A bad token: refused, and nothing was replayed first.
	pid, offset := drop()
	if early, refused := dialRecovering(t, a, map[string]any{"token": "garbage", "pid": pid, "offset": offset}); !refused || len(early) > 0 {
		t.Fatalf("recovery with a bad token: refused=%v, replayed before the answer: %q", refused, early)
	}

	// Another user's token: connected, but nothing of bob's session.
	pid, offset = drop()
	c, connect, err := dialSIO(t, a, dialOpts{auth: map[string]any{"token": eve.Token, "pid": pid, "offset": offset}})
	if err != nil {
		t.Fatal(err)
	}
	if connect["pid"] != pid {
		t.Fatalf("session not restored, the test proves nothing: %v", connect)
	}
	a.postREST(owner, secret, "secret after")
	a.postREST(owner, open, "open after")
	c.none("new_message", 300*time.Millisecond)

	// bob himself, after leaving the private room: the public room's message
	// only, then live there and not in the private one.
	pid, offset = drop()
	a.mustJSON("POST", fmt.Sprintf("/api/rooms/%d/leave", secret), bob.Token, nil, http.StatusOK)
	r, connect, err := dialSIO(t, a, dialOpts{auth: map[string]any{"token": bob.Token, "pid": pid, "offset": offset}})
	if err != nil || connect["pid"] != pid {
		t.Fatalf("bob not recovered: %v %v", connect, err)
	}
	if m := r.next("new_message").Arg(t); m["content"] != "missed open" {
		t.Fatalf("bob recovered %v, want only the public room's message", m)
	}
	a.postREST(owner, secret, "secret later")
	a.postREST(owner, open, "open later")
	if m := r.next("new_message").Arg(t); m["content"] != "open later" {
		t.Fatalf("bob after recovery: %v, want the public room only", m)
	}
	r.none("new_message", 200*time.Millisecond)
}

// The same on a per-room namespace: another user recovering a "/rooms/<id>"
// session gets none of what it missed.
func TestRoomNamespaceRecoveryByAnotherUserGetsNothing(t *testing.T) {
	a := newApp(t, "sqlite")
	owner, bob, eve := a.register("owner"), a.register("bob"), a.register("eve")
	room := a.createRoom(owner, "open", false)
	nsp := fmt.Sprintf("/rooms/%d", room)
	pid, offset := droppedRoomSession(t, a, nsp, bob.Token, func() { a.postREST(owner, room, "seen") })
	a.postREST(owner, room, "missed")

	e, connect, err := dialSIO(t, a, dialOpts{nsp: nsp, auth: map[string]any{"token": eve.Token, "pid": pid, "offset": offset}})
	if err != nil || connect["pid"] != pid {
		t.Fatalf("session not restored, the test proves nothing: %v %v", connect, err)
	}
	a.postREST(owner, room, "live")
	// Everything eve got, in order (recovered packets came before CONNECT on
	// the old code), up to the live message: none of bob's.
	deadline := time.After(5 * time.Second)
	for {
		select {
		case ev := <-e.events:
			if ev.Name != "message" {
				continue
			}
			if m := ev.Arg(t); m["content"] != "live" {
				t.Fatalf("eve got bob's %v", m)
			}
			return
		case <-deadline:
			t.Fatal("no live message")
		}
	}
}

// addMember makes u a member of a (private) room, as an invitation would.
func addMember(t *testing.T, a *app, room int64, u user) {
	t.Helper()
	if err := a.db.Exec("INSERT INTO room_members (user_id, room_id) VALUES (?, ?)", u.ID, room).Error; err != nil {
		t.Fatalf("add member: %v", err)
	}
}

func mustString(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatalf("not a string: %s", raw)
	}
	return s
}

func mustJSONText(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A password change ends every live connection of that user, on every door,
// with the reason; other users' connections stay.
func TestPasswordChangeEndsEveryLiveConnection(t *testing.T) {
	a := newApp(t, "sqlite")
	ann, ben := a.register("ann"), a.register("ben")
	room := a.createRoom(ann, "general", false)
	bens := openDoors(t, a, ben, room)
	anns := openDoors(t, a, ann, room)

	a.mustJSON("PUT", "/api/users/me", ben.Token, map[string]any{"password": "a-new-secret-1", "current_password": "secret-ben"}, http.StatusOK)
	for name, c := range map[string]*sioClient{"main": bens.main, "alias": bens.alias} {
		if m := c.next("error").Arg(t); m["code"] != "session_ended" || m["reason"] != "password_changed" {
			t.Fatalf("%s: error %v, want session_ended", name, m)
		}
		c.next("disconnect")
	}
	if m := bens.ns.next("error").Arg(t); m["code"] != "session_ended" || m["reason"] != "password_changed" {
		t.Fatalf("/rooms: error %v, want session_ended", m)
	}
	bens.ns.next("disconnect")
	if ce := bens.raw.closeCode(); ce.Code != ws.ClosePolicyViolation {
		t.Fatalf("raw close = %d %q, want 1008", ce.Code, ce.Text)
	}
	a.postREST(ann, room, "still here")
	anns.expectOnce(t, "still here")
	bens.expectNothing(t)
}

// A deleted room cuts everyone's live connections to it, its creator's too.
func TestDeletedRoomCutsEveryDoor(t *testing.T) {
	a := newApp(t, "sqlite")
	owner, eve := a.register("owner"), a.register("eve")
	room := a.createRoom(owner, "doomed", false)
	eves := openDoors(t, a, eve, room)
	owners := openDoors(t, a, owner, room)
	a.mustJSON("DELETE", fmt.Sprintf("/api/rooms/%d", room), owner.Token, nil, http.StatusOK)
	eves.expectCut(t, room, "room_deleted")
	owners.expectCut(t, room, "room_deleted")
	if online, _ := a.service.OnlineUsers(t.Context(), room); len(online) != 0 {
		// Presence is left off the hub's goroutine: give it a moment.
		deadline := time.Now().Add(5 * time.Second)
		for len(online) != 0 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
			online, _ = a.service.OnlineUsers(t.Context(), room)
		}
		if len(online) != 0 {
			t.Fatalf("still online in a deleted room: %v", online)
		}
	}
}

// droppedRoomSession connects token to the room namespace nsp, lets post send
// one message, takes it, and drops the connection: what a client recovering
// that session sends back (its pid and the offset of the last packet it got).
func droppedRoomSession(t *testing.T, a *app, nsp, token string, post func()) (pid, offset string) {
	t.Helper()
	c, connect, err := dialSIO(t, a, dialOpts{nsp: nsp, auth: map[string]any{"token": token}})
	if err != nil {
		t.Fatal(err)
	}
	pid, _ = connect["pid"].(string)
	c.next("welcome")
	post()
	ev := c.next("message")
	offset = mustString(t, ev.Args[len(ev.Args)-1])
	c.close()
	time.Sleep(200 * time.Millisecond)
	return pid, offset
}
