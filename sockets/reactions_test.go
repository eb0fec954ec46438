package sockets_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/izpochat/server/internal/testdb"
)

// expectReaction asserts every door gets the reaction event once.
func (d doorsInRoom) expectReaction(t *testing.T, event string, msgID float64, emoji string, userID int64) {
	t.Helper()
	check := func(name string, m map[string]any) {
		t.Helper()
		if m["message_id"] != msgID || m["emoji"] != emoji || int64(m["user_id"].(float64)) != userID || m["room_id"] == nil {
			t.Fatalf("%s: %s %v", name, event, m)
		}
	}
	for name, c := range map[string]*sioClient{"main": d.main, "alias": d.alias} {
		m := c.next(event).Arg(t)
		check(name, m)
		if m["type"] != nil {
			t.Fatalf("%s: %s carries a type: %v", name, event, m)
		}
		c.none(event, 30*time.Millisecond)
	}
	m := d.ns.next(event).Arg(t)
	check("/rooms", m)
	if m["type"] != event {
		t.Fatalf("/rooms: %s without its type: %v", event, m)
	}
	check("raw", d.raw.next(event))
}

// react and unreact on every door: acked with the reactions, refusals answer
// without breaking the connection, and every door gets each change once.
func TestReactionsReachEveryDoorOnce(t *testing.T) {
	for _, driver := range testdb.Drivers() {
		t.Run(driver, func(t *testing.T) {
			a := newApp(t, driver)
			ann, ben := a.register("ann"), a.register("ben")
			room := a.createRoom(ann, "general", false)
			a.mustJSON("POST", fmt.Sprintf("/api/rooms/%d/join", room), ben.Token, nil, http.StatusOK)
			bens := openDoors(t, a, ben, room)
			annMain, annNs, annRaw := actingDoors(t, a, ann, room)

			msg := a.postREST(ben, room, "react here")
			bens.expectOnce(t, "react here")
			id := msg["id"].(float64)

			r := annMain.call("react", map[string]any{"message_id": id, "emoji": "👍"})
			rs, _ := r["reactions"].([]any)
			if r["status"] != "success" || r["message_id"] != id || len(rs) != 1 || rs[0].(map[string]any)["me"] != true {
				t.Fatalf("react ack: %v", r)
			}
			bens.expectReaction(t, "reaction_added", id, "👍", ann.ID)
			// Again: acked the same, no event.
			if r := annNs.call("react", map[string]any{"message_id": id, "emoji": "👍"}); r["status"] != "success" {
				t.Fatalf("/rooms react again: %v", r)
			}
			bens.main.none("reaction_added", 50*time.Millisecond)

			// Refused, the connection stays.
			if r := annMain.call("react", map[string]any{"message_id": id, "emoji": "a b"}); r["status"] != "error" || r["code"] == "" {
				t.Fatalf("bad emoji ack: %v", r)
			}
			if r := annNs.call("unreact", map[string]any{"message_id": id}); r["status"] != "error" {
				t.Fatalf("unreact without emoji: %v", r)
			}
			if r := annMain.call("react", map[string]any{"message_id": 999999, "emoji": "👍"}); r["status"] != "error" || r["code"] != "not_found" {
				t.Fatalf("react to a missing message: %v", r)
			}
			annRaw.send(map[string]any{"type": "react", "message_id": "x", "emoji": "👍"})
			if e := annRaw.next("error"); e["code"] == "" {
				t.Fatalf("raw react with a bad id: %v", e)
			}

			annRaw.send(map[string]any{"type": "react", "message_id": id, "emoji": "🎉"})
			bens.expectReaction(t, "reaction_added", id, "🎉", ann.ID)
			if r := annNs.call("unreact", map[string]any{"message_id": id, "emoji": "👍"}); r["status"] != "success" {
				t.Fatalf("/rooms unreact: %v", r)
			}
			bens.expectReaction(t, "reaction_removed", id, "👍", ann.ID)
			annRaw.send(map[string]any{"type": "unreact", "message_id": id, "emoji": "🎉"})
			bens.expectReaction(t, "reaction_removed", id, "🎉", ann.ID)
		})
	}
}

// A "/" socket that missed reaction_added and reaction_removed while it was
// away gets them replayed, in order, when it recovers its session.
func TestRecoveryReplaysMissedReactions(t *testing.T) {
	a := newApp(t, "sqlite")
	owner, bob := a.register("owner"), a.register("bob")
	room := a.createRoom(owner, "open", false)
	msg, pid, offset := awayAfter(t, a, bob, owner, room, "react to me")

	path := fmt.Sprintf("/api/messages/%d/reactions", int64(msg["id"].(float64)))
	a.mustJSON("POST", path, owner.Token, map[string]any{"emoji": "👍"}, http.StatusOK)
	a.mustJSON("POST", path, owner.Token, map[string]any{"emoji": "🎉"}, http.StatusOK)
	a.mustJSON("DELETE", path+"/%F0%9F%91%8D", owner.Token, nil, http.StatusOK)

	r, connect, err := dialSIO(t, a, dialOpts{auth: map[string]any{"token": bob.Token, "pid": pid, "offset": offset}})
	if err != nil || connect["pid"] != pid {
		t.Fatalf("bob not recovered: %v %v", connect, err)
	}
	var got []string
	deadline := time.After(5 * time.Second)
	for len(got) < 3 {
		select {
		case ev := <-r.events:
			if ev.Name != "reaction_added" && ev.Name != "reaction_removed" {
				continue
			}
			m := ev.Arg(t)
			if m["message_id"] != msg["id"] || int64(m["user_id"].(float64)) != owner.ID {
				t.Fatalf("replayed %s %v", ev.Name, m)
			}
			got = append(got, ev.Name+" "+m["emoji"].(string))
		case <-deadline:
			t.Fatalf("replayed %q, want three reaction events", got)
		}
	}
	if want := []string{"reaction_added 👍", "reaction_added 🎉", "reaction_removed 👍"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("replayed %q, want %q", got, want)
	}
	r.none("reaction_added", 50*time.Millisecond)
}
