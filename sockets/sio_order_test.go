package sockets_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	ws "github.com/gorilla/websocket"
)

const burstSize = 200

// collectContents gathers the content of n events named name, in arrival order.
func collectContents(t *testing.T, c *sioClient, name string, n int) []string {
	t.Helper()
	var out []string
	deadline := time.After(30 * time.Second)
	for len(out) < n {
		select {
		case ev := <-c.events:
			if ev.Name == name {
				content, _ := ev.Arg(t)["content"].(string)
				out = append(out, content)
			}
		case <-deadline:
			t.Fatalf("received %d %q events on %s, want %d", len(out), name, c.nsp, n)
		}
	}
	return out
}

// storedContents lists a room's messages in id (stored) order.
func (a *app) storedContents(roomID int64) []string {
	a.t.Helper()
	var out []string
	if err := a.db.Table("messages").Where("room_id = ?", roomID).Order("id").Pluck("content", &out).Error; err != nil {
		a.t.Fatalf("stored contents: %v", err)
	}
	return out
}

func burstContents(n int) []string {
	out := make([]string, n)
	for k := range out {
		out[k] = fmt.Sprintf("burst-%03d", k)
	}
	return out
}

// assertSameOrder fails at the first place got and want differ.
func assertSameOrder(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d items, want %d", what, len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%s: item %d is %q, want %q (order broken)", what, i, got[i], want[i])
		}
	}
}

// One client emits 200 send_message events back to back without waiting for
// acks: they are stored and delivered in exactly the order they were sent.
func TestSIOBurstOnMainNamespaceKeepsSendOrder(t *testing.T) {
	for _, eio := range []int{4, 3} {
		t.Run(fmt.Sprintf("EIO%d", eio), func(t *testing.T) {
			a := newApp(t, "sqlite", withRate(10000, 10000))
			alice, bob := a.register("alice"), a.register("bob")
			room := a.createRoom(alice, "burst", false)
			o := dialOpts{eio: eio, auth: map[string]any{"token": alice.Token}}
			if eio == 3 {
				o = dialOpts{eio: 3, query: "token=" + alice.Token}
			}
			sender := mustDial(t, a, o)
			observer := mustDial(t, a, dialOpts{nsp: "/socket.io", auth: map[string]any{"token": bob.Token}})
			sender.call("join_room", map[string]any{"room_id": room})
			observer.call("join_room", map[string]any{"room_id": room})

			want := burstContents(burstSize)
			for _, content := range want {
				sender.emit("send_message", map[string]any{"room_id": room, "content": content})
			}
			assertSameOrder(t, "observer received", collectContents(t, observer, "new_message", burstSize), want)
			assertSameOrder(t, "sender received", collectContents(t, sender, "new_message", burstSize), want)
			assertSameOrder(t, "stored", a.storedContents(room), want)
		})
	}
}

func TestSIOBurstOnRoomNamespaceKeepsSendOrder(t *testing.T) {
	a := newApp(t, "sqlite", withRate(10000, 10000))
	alice, bob := a.register("alice"), a.register("bob")
	room := a.createRoom(alice, "burst", false)
	nsp := fmt.Sprintf("/rooms/%d", room)
	sender := mustDial(t, a, dialOpts{nsp: nsp, auth: map[string]any{"token": alice.Token}})
	observer := mustDial(t, a, dialOpts{nsp: nsp, auth: map[string]any{"token": bob.Token}})
	sender.next("welcome")
	observer.next("welcome")

	want := burstContents(burstSize)
	for _, content := range want {
		sender.emit("message", map[string]any{"content": content})
	}
	assertSameOrder(t, "observer received", collectContents(t, observer, "message", burstSize), want)
	assertSameOrder(t, "sender received", collectContents(t, sender, "message", burstSize), want)
	assertSameOrder(t, "stored", a.storedContents(room), want)
}

// typing and send_message interleaved: another member sees them in the order
// the sender emitted them.
func TestSIOMixedEventsKeepOrder(t *testing.T) {
	const pairs = 100
	a := newApp(t, "sqlite", withRate(10000, 10000))
	alice, bob := a.register("alice"), a.register("bob")
	room := a.createRoom(alice, "mixed", false)
	sender := mustDial(t, a, dialOpts{auth: map[string]any{"token": alice.Token}})
	observer := mustDial(t, a, dialOpts{auth: map[string]any{"token": bob.Token}})
	sender.call("join_room", map[string]any{"room_id": room})
	observer.call("join_room", map[string]any{"room_id": room})

	var want []string
	for k := 0; k < pairs; k++ {
		typing := k%2 == 0
		sender.emit("typing", map[string]any{"room_id": room, "typing": typing})
		content := fmt.Sprintf("m-%03d", k)
		sender.emit("send_message", map[string]any{"room_id": room, "content": content})
		want = append(want, fmt.Sprintf("typing:%v", typing), "message:"+content)
	}
	var got []string
	deadline := time.After(30 * time.Second)
	for len(got) < len(want) {
		select {
		case ev := <-observer.events:
			switch ev.Name {
			case "typing":
				got = append(got, fmt.Sprintf("typing:%v", ev.Arg(t)["typing"]))
			case "new_message":
				got = append(got, fmt.Sprintf("message:%v", ev.Arg(t)["content"]))
			}
		case <-deadline:
			t.Fatalf("observer got %d of %d events", len(got), len(want))
		}
	}
	assertSameOrder(t, "observer received", got, want)
}

// Events that are refused (rate limit, bad input, unknown name) still hand the
// turn on at once: the event after them is answered without waiting for the
// lost-event timeout.
func TestSIORefusedEventsDoNotStallTheQueue(t *testing.T) {
	a := newApp(t, "sqlite", withRate(0.5, 3))
	alice := a.register("alice")
	room := a.createRoom(alice, "limits", false)
	c := mustDial(t, a, dialOpts{auth: map[string]any{"token": alice.Token}})

	c.emit("no_such_event", map[string]any{"x": 1})
	c.emit("send_message", "not an object")
	c.emitRaw("send_message", `{"room_id": "abc", "content": "bad room"}`)
	for k := 0; k < 5; k++ { // budget is 3: the last ones are rate limited
		c.emit("send_message", map[string]any{"room_id": room, "content": fmt.Sprintf("r-%d", k)})
	}
	start := time.Now()
	ack := c.call("send_message", map[string]any{"room_id": room, "content": "after"})
	if ack["status"] != "error" || !strings.Contains(fmt.Sprint(ack["error"]), "rate limit") {
		t.Fatalf("ack after the budget is spent = %v, want a rate limit error", ack)
	}
	if waited := time.Since(start); waited > time.Second {
		t.Fatalf("the ack took %v: a refused event held the queue", waited)
	}
	rateLimited := 0
	for deadline := time.After(2 * time.Second); rateLimited < 3; {
		select {
		case ev := <-c.events:
			if ev.Name == "error" && strings.Contains(fmt.Sprint(ev.Arg(t)["message"]), "rate limit") {
				rateLimited++
			}
		case <-deadline:
			t.Fatalf("%d rate limit errors, want 3 (2 of the burst and the call)", rateLimited)
		}
	}
}

// A client that disconnects in the middle of a burst leaves no goroutine
// behind: the events still waiting for their turn are let go.
func TestSIODisconnectMidBurstLeavesNoGoroutines(t *testing.T) {
	a := newApp(t, "sqlite", withRate(10000, 10000))
	alice := a.register("alice")
	room := a.createRoom(alice, "leak", false)
	warm := mustDial(t, a, dialOpts{auth: map[string]any{"token": alice.Token}})
	warm.call("join_room", map[string]any{"room_id": room})
	warm.close()
	time.Sleep(200 * time.Millisecond)
	before := runtime.NumGoroutine()

	for round := 0; round < 3; round++ {
		c := mustDial(t, a, dialOpts{auth: map[string]any{"token": alice.Token}})
		c.emitRaw("join_room", fmt.Sprintf(`{"room_id": %d}`, room))
		for k := 0; k < burstSize; k++ {
			c.emit("send_message", map[string]any{"room_id": room, "content": fmt.Sprintf("x-%d-%d", round, k)})
		}
		c.close()
	}
	var now int
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if now = runtime.NumGoroutine(); now <= before+2 {
			return
		}
	}
	buf := make([]byte, 1<<20)
	t.Fatalf("goroutines: %d before the bursts, %d after\n%s", before, now, buf[:runtime.Stack(buf, true)])
}

// A binary event (its attachment arrives in a second frame) takes its place in
// the order like any other event.
func TestSIOBinaryEventKeepsItsPlace(t *testing.T) {
	a := newApp(t, "sqlite", withRate(10000, 10000))
	alice := a.register("alice")
	room := a.createRoom(alice, "binary", false)
	c := mustDial(t, a, dialOpts{auth: map[string]any{"token": alice.Token}})
	c.call("join_room", map[string]any{"room_id": room})

	c.emit("send_message", map[string]any{"room_id": room, "content": "first"})
	c.writeRaw(fmt.Sprintf(`451-["send_message",{"room_id":%d,"content":"second","blob":{"_placeholder":true,"num":0}}]`, room))
	unlock := c.LockWrites()
	err := c.conn.WriteMessage(ws.BinaryMessage, []byte{1, 2, 3})
	unlock()
	if err != nil {
		t.Fatalf("write attachment: %v", err)
	}
	c.emit("send_message", map[string]any{"room_id": room, "content": "third"})
	want := []string{"first", "second", "third"}
	assertSameOrder(t, "received", collectContents(t, c, "new_message", len(want)), want)
	assertSameOrder(t, "stored", a.storedContents(room), want)
}
