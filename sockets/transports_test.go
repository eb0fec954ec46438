package sockets_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/izpochat/server/internal/testkit"
)

// pollingClient is the kit's Engine.IO 4 polling session, request by request
// (testkit.PollingSession), with these tests' checks: every answer a 200.
type pollingClient struct {
	*testkit.PollingSession
	t   *testing.T
	url string // the session's polling URL (with sid)
}

// openPollingClient opens a polling session at base (the app's URL).
func openPollingClient(t *testing.T, base string) *pollingClient {
	t.Helper()
	s := testkit.OpenPolling(t, base, testkit.PollingOptions{})
	return &pollingClient{PollingSession: s, t: t, url: s.URL}
}

// via is the same session reached through another instance at base.
func (p *pollingClient) via(base string) *pollingClient {
	v := p.Via(base)
	return &pollingClient{PollingSession: v, t: p.t, url: v.URL}
}

func (p *pollingClient) get() []string {
	p.t.Helper()
	a := p.Get()
	if a.Status != http.StatusOK {
		p.t.Fatalf("poll: %d %s", a.Status, a.Body)
	}
	return a.Packets
}

func (p *pollingClient) post(packets ...string) {
	p.t.Helper()
	if a := p.Post(packets...); a.Status != http.StatusOK || a.Body != "ok" {
		p.t.Fatalf("post: %d %s", a.Status, a.Body)
	}
}

// until polls until an event named name arrives and returns its first argument.
func (p *pollingClient) until(name string) map[string]any {
	p.t.Helper()
	return p.Next(name).Arg(p.t)
}

func TestPollingTransportJoinsAndReceives(t *testing.T) {
	a := newApp(t, "sqlite")
	alice := a.register("alice")
	room := a.createRoom(alice, "general", false)
	p := openPollingClient(t, a.srv.URL)
	p.post(`40{"token":"` + alice.Token + `"}`)
	if c := p.until("connected"); c["user_id"] != float64(alice.ID) {
		t.Fatalf("connected = %v", c)
	}
	p.post(fmt.Sprintf(`42["join_room",{"room_id":%d}]`, room))
	p.until("users_online")
	a.postREST(alice, room, "over polling")
	if m := p.until("new_message"); m["content"] != "over polling" {
		t.Fatalf("new_message = %v", m)
	}
}

// TestRecoveryOffsetOnlyForClientsThatCanUseIt: socket.io-client 4 gets the
// connection-state-recovery offset as a trailing argument; EIO=3 and Python
// clients (float `t` query) get exactly the contract's one argument.
func TestRecoveryOffsetOnlyForClientsThatCanUseIt(t *testing.T) {
	a := newApp(t, "sqlite")
	alice := a.register("alice")
	room := a.createRoom(alice, "general", false)
	js := mustDial(t, a, dialOpts{auth: map[string]any{"token": alice.Token}})
	py := mustDial(t, a, dialOpts{query: "t=1764350000.123456", auth: map[string]any{"token": alice.Token}})
	eio3 := mustDial(t, a, dialOpts{eio: 3, query: "token=" + alice.Token})
	// users_online goes to the joining socket alone (the door's own emit).
	for c, args := range map[*sioClient]int{js: 2, py: 1, eio3: 1} {
		c.emit("join_room", map[string]any{"room_id": room})
		if ev := c.next("users_online"); len(ev.Args) != args {
			t.Fatalf("users_online args = %s, want %d", ev.Args, args)
		}
	}
	a.postREST(alice, room, "hello")
	if ev := js.next("new_message"); len(ev.Args) != 2 {
		t.Fatalf("js client args = %d, want message + offset", len(ev.Args))
	}
	for name, c := range map[string]*sioClient{"python": py, "eio3": eio3} {
		ev := c.next("new_message")
		if len(ev.Args) != 1 || ev.Arg(t)["content"] != "hello" {
			t.Fatalf("%s client args = %s, want exactly the message", name, ev.Args)
		}
	}
	// Once: the EIO=3 client's copy is encoded apart, and the shared frame
	// must not reach it too.
	a.postREST(alice, room, "again")
	if m := eio3.next("new_message").Arg(t); m["content"] != "again" {
		t.Fatalf("eio3 client's next message = %v, want the second one (the first came twice)", m)
	}
}

// TestConnectionStateRecoveryDeliversMissedMessages: a briefly dropped client
// that reconnects with its pid and last offset gets what it missed, and is back
// in its rooms.
func TestConnectionStateRecoveryDeliversMissedMessages(t *testing.T) {
	a := newApp(t, "sqlite")
	alice, bob := a.register("alice"), a.register("bob")
	room := a.createRoom(alice, "general", false)
	_, pid, offset := awayAfter(t, a, bob, alice, room, "before")
	if pid == "" {
		t.Fatal("CONNECT without pid")
	}
	a.postREST(alice, room, "missed 1")
	a.postREST(alice, room, "missed 2")

	r, data, err := dialSIO(t, a, dialOpts{auth: map[string]any{"token": bob.Token, "pid": pid, "offset": offset}})
	if err != nil {
		t.Fatal(err)
	}
	if data["pid"] != pid {
		t.Fatalf("not recovered: %v", data)
	}
	for _, want := range []string{"missed 1", "missed 2"} {
		if m := r.next("new_message").Arg(t); m["content"] != want {
			t.Fatalf("recovered %v, want %q", m, want)
		}
	}
	a.postREST(alice, room, "after")
	if m := r.next("new_message").Arg(t); m["content"] != "after" {
		t.Fatalf("after recovery: %v", m)
	}
	// A recovering client with a token that is no longer valid is refused.
	_, _, err = dialSIO(t, a, dialOpts{auth: map[string]any{"token": "garbage", "pid": pid, "offset": offset}})
	if err == nil {
		t.Fatal("recovery with a bad token was accepted")
	}
}

// TestPresenceSnapshotIsNotReplayedOnRecovery: users_online (and the welcome
// and connected notices) are sent afresh on every join and connection, so
// the recovery buffer does not keep them (sockets/internal/README.md, idle
// memory): a client recovering from an offset before its snapshot gets what it
// missed but no stale snapshot, and joining again still gets users_online live,
// offset included. On the room namespace a recovered client gets exactly one
// welcome and one users_online: the fresh ones.
func TestPresenceSnapshotIsNotReplayedOnRecovery(t *testing.T) {
	a := newApp(t, "sqlite")
	alice, bob := a.register("alice"), a.register("bob")
	room := a.createRoom(alice, "general", false)
	c, connect, err := dialSIO(t, a, dialOpts{auth: map[string]any{"token": bob.Token}})
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := connect["pid"].(string)
	c.emit("join_room", map[string]any{"room_id": room})
	// joined_room comes before users_online: recovering from its offset is
	// recovering from just before the snapshot (as if it was lost in flight).
	joined := c.next("joined_room")
	offset := mustString(t, joined.Args[len(joined.Args)-1])
	if ev := c.next("users_online"); len(ev.Args) != 2 {
		t.Fatalf("users_online args = %s, want the view and an offset", ev.Args)
	}
	c.close()
	time.Sleep(200 * time.Millisecond)
	a.postREST(alice, room, "missed")

	r, data, err := dialSIO(t, a, dialOpts{auth: map[string]any{"token": bob.Token, "pid": pid, "offset": offset}})
	if err != nil || data["pid"] != pid {
		t.Fatalf("not recovered: %v %v", data, err)
	}
	if got := eventsUntil(t, r, "new_message"); slices.Contains(got, "users_online") {
		t.Fatalf("recovered %v: the snapshot was replayed", got)
	}
	r.none("users_online", 300*time.Millisecond)
	ack := r.call("join_room", map[string]any{"room_id": room})
	if ack["status"] != "success" {
		t.Fatalf("join again: %v", ack)
	}
	ev := r.next("users_online")
	if o := ev.Arg(t); len(ev.Args) != 2 || o["count"] != float64(1) || o["room_id"] != float64(room) {
		t.Fatalf("users_online on joining again = %s", ev.Args)
	}

	// The room namespace: recovering from the welcome's offset.
	nsp := fmt.Sprintf("/rooms/%d", room)
	rc, connect, err := dialSIO(t, a, dialOpts{nsp: nsp, auth: map[string]any{"token": bob.Token}})
	if err != nil {
		t.Fatal(err)
	}
	pid, _ = connect["pid"].(string)
	welcome := rc.next("welcome")
	offset = mustString(t, welcome.Args[len(welcome.Args)-1])
	rc.next("users_online")
	rc.close()
	time.Sleep(200 * time.Millisecond)
	a.postREST(alice, room, "missed in room")
	rr, data, err := dialSIO(t, a, dialOpts{nsp: nsp, auth: map[string]any{"token": bob.Token, "pid": pid, "offset": offset}})
	if err != nil || data["pid"] != pid {
		t.Fatalf("room namespace not recovered: %v %v", data, err)
	}
	// The missed message, then the fresh welcome and users_online, and nothing else.
	got := append(eventsUntil(t, rr, "message"), eventsUntil(t, rr, "welcome")...)
	got = append(got, eventsUntil(t, rr, "users_online")...)
	if want := []string{"message", "welcome", "users_online"}; !slices.Equal(got, want) {
		t.Fatalf("recovered on the room namespace: %v, want %v", got, want)
	}
	rr.none("users_online", 300*time.Millisecond)
	rr.none("welcome", 10*time.Millisecond)
}

// eventsUntil lists the names of the events c gets up to the first named
// name, that one included.
func eventsUntil(t *testing.T, c *sioClient, name string) []string {
	t.Helper()
	var got []string
	deadline := time.After(5 * time.Second)
	for {
		select {
		case ev := <-c.Events():
			got = append(got, ev.Name)
			if ev.Name == name {
				return got
			}
		case <-deadline:
			t.Fatalf("no %s within 5 s; got %v", name, got)
		}
	}
}
