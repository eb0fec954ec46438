package sockets_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/izpochat/server/internal/testdb"
)

// A channel per user (issue 23.6): a "/" socket and a raw WebSocket of a user
// get the events addressed to the user wherever they happen, once each; a
// non-reader is never told of a mention; "/rooms/<id>" sockets get none.
func TestUserEventsReachMainAndRawOnce(t *testing.T) {
	for _, driver := range testdb.Drivers() {
		t.Run(driver, func(t *testing.T) {
			a := newApp(t, driver)
			ann, ben, cal := a.register("ann"), a.register("ben"), a.register("cal")
			lobby := a.createRoom(ann, "lobby", false)
			group := a.createRoom(ann, "group", true)

			// ben: "/" in no room, a raw WebSocket of the lobby, the lobby's namespace.
			benMain := mustDial(t, a, dialOpts{auth: map[string]any{"token": ben.Token}})
			benAlias := mustDial(t, a, dialOpts{nsp: "/socket.io", query: "token=" + ben.Token})
			benRaw := dialRaw(t, a, fmt.Sprintf("/api/ws/%d?token=%s", lobby, ben.Token), nil)
			benRaw.next("welcome")
			benNs := mustDial(t, a, dialOpts{nsp: fmt.Sprintf("/rooms/%d", lobby), auth: map[string]any{"token": ben.Token}})
			benNs.next("welcome")
			calMain := mustDial(t, a, dialOpts{auth: map[string]any{"token": cal.Token}})
			calRaw := dialRaw(t, a, fmt.Sprintf("/api/ws/%d?token=%s", lobby, cal.Token), nil)
			calRaw.next("welcome")

			// Added to a private room ben has not joined (could not, until now).
			a.mustJSON("POST", fmt.Sprintf("/api/rooms/%d/members", group), ann.Token, map[string]any{"user_id": ben.ID}, http.StatusCreated)
			for name, c := range map[string]*sioClient{"main": benMain, "alias": benAlias} {
				m := c.next("member_added").Arg(t)
				if int64(m["room_id"].(float64)) != group || int64(m["user_id"].(float64)) != ben.ID || m["role"] != "member" || m["type"] != nil {
					t.Fatalf("%s: member_added %v", name, m)
				}
				c.none("member_added", 50*time.Millisecond)
			}
			if m := benRaw.next("member_added"); int64(m["room_id"].(float64)) != group || m["type"] != "member_added" {
				t.Fatalf("raw: member_added %v", m)
			}
			benRaw.none("member_added", 50*time.Millisecond)
			benNs.none("member_added", 10*time.Millisecond) // "/rooms/<id>": its room's events only
			calMain.none("member_added", 30*time.Millisecond)

			// A mention in the private room: ben (a member now) is told, cal
			// (not a member) neither told nor listed.
			msg := a.postREST(ann, group, "hey @ben and @cal, see this")
			if ms, _ := msg["mentions"].([]any); len(ms) != 1 || ms[0].(map[string]any)["username"] != "ben" {
				t.Fatalf("mentions = %v", msg["mentions"])
			}
			for name, c := range map[string]*sioClient{"main": benMain, "alias": benAlias} {
				m := c.next("mention").Arg(t)
				by, _ := m["by"].(map[string]any)
				if m["message_id"] != msg["id"] || int64(m["room_id"].(float64)) != group || int64(m["user_id"].(float64)) != ben.ID ||
					by["username"] != "ann" || m["excerpt"] != "hey @ben and @cal, see this" || m["type"] != nil {
					t.Fatalf("%s: mention %v", name, m)
				}
				c.none("mention", 50*time.Millisecond)
			}
			if m := benRaw.next("mention"); m["message_id"] != msg["id"] || m["type"] != "mention" {
				t.Fatalf("raw: mention %v", m)
			}
			benRaw.none("mention", 50*time.Millisecond)
			benNs.none("mention", 10*time.Millisecond)
			calMain.none("mention", 30*time.Millisecond)
			calRaw.none("mention", 10*time.Millisecond)

			// An edit that adds a mention tells the added user, once; those
			// mentioned already are not told again.
			annMain := mustDial(t, a, dialOpts{auth: map[string]any{"token": ann.Token}})
			a.mustJSON("POST", fmt.Sprintf("/api/rooms/%d/members", group), ann.Token, map[string]any{"user_id": cal.ID}, http.StatusCreated)
			r := annMain.call("edit_message", map[string]any{"message_id": msg["id"], "content": "hey @ben and @cal, see this"})
			if r["status"] != "success" {
				t.Fatalf("edit ack: %v", r)
			}
			if m := calMain.next("mention").Arg(t); m["message_id"] != msg["id"] || int64(m["user_id"].(float64)) != cal.ID {
				t.Fatalf("cal: mention after the edit %v", m)
			}
			if m := calRaw.next("mention"); m["message_id"] != msg["id"] {
				t.Fatalf("cal raw: mention after the edit %v", m)
			}
			benMain.none("mention", 50*time.Millisecond)
			benRaw.none("mention", 10*time.Millisecond)

			// In a room ben's sockets are in: the mention once, the message once.
			benMain.call("join_room", map[string]any{"room_id": lobby})
			a.postREST(ann, lobby, "@ben hello")
			if m := benMain.next("new_message").Arg(t); m["mentions"] == nil {
				t.Fatalf("new_message without mentions: %v", m)
			}
			benMain.next("mention")
			benMain.none("mention", 50*time.Millisecond)
			benRaw.next("mention")
			benRaw.none("mention", 50*time.Millisecond)
			// member_added of a room the socket is in: once, as the room's.
			a.mustJSON("POST", fmt.Sprintf("/api/rooms/%d/members", lobby), ann.Token, map[string]any{"user_id": ben.ID}, http.StatusCreated)
			benMain.next("member_added")
			benMain.none("member_added", 50*time.Millisecond)
			benRaw.next("member_added")
			benRaw.none("member_added", 50*time.Millisecond)
			benAlias.next("member_added") // not in the lobby: by the user channel
			benAlias.none("member_added", 30*time.Millisecond)

			// A new conversation: the other member is told, with the room as they see it.
			a.mustJSON("POST", "/api/conversations", ann.Token, map[string]any{"recipient_id": cal.ID}, http.StatusCreated)
			m := calMain.next("conversation_started").Arg(t)
			room, _ := m["room"].(map[string]any)
			other, _ := m["other_user"].(map[string]any)
			if room == nil || room["id"] != m["room_id"] || room["is_private"] != true || room["my_role"] != "member" ||
				int64(other["id"].(float64)) != ann.ID {
				t.Fatalf("conversation_started %v", m)
			}
			if m := calRaw.next("conversation_started"); m["type"] != "conversation_started" || m["room_id"] == nil {
				t.Fatalf("raw: conversation_started %v", m)
			}
			benMain.none("conversation_started", 30*time.Millisecond)
		})
	}
}

// Removed from a room, a user is no longer mentioned there; after a password
// change, the old sockets get nothing of the user's channel.
func TestUserEventsEndWithAccess(t *testing.T) {
	a := newApp(t, "sqlite")
	ann, ben := a.register("ann"), a.register("ben")
	group := a.createRoom(ann, "group", true)
	a.mustJSON("POST", fmt.Sprintf("/api/rooms/%d/members", group), ann.Token, map[string]any{"user_id": ben.ID}, http.StatusCreated)
	benMain := mustDial(t, a, dialOpts{auth: map[string]any{"token": ben.Token}})
	if status, body := a.do("DELETE", fmt.Sprintf("/api/rooms/%d/members/%d", group, ben.ID), ann.Token, nil); status != http.StatusNoContent {
		t.Fatalf("remove: %d %s", status, body)
	}
	if msg := a.postREST(ann, group, "@ben are you there"); msg["mentions"] != nil {
		t.Fatalf("a removed member is mentioned: %v", msg["mentions"])
	}
	benMain.none("mention", 100*time.Millisecond)

	lobby := a.createRoom(ann, "lobby", false)
	old := mustDial(t, a, dialOpts{auth: map[string]any{"token": ben.Token}})
	a.mustJSON("PUT", "/api/users/me", ben.Token, map[string]any{"password": "another-secret", "current_password": "secret-ben"}, http.StatusOK)
	if e := old.next("error").Arg(t); e["code"] != "session_ended" {
		t.Fatalf("error = %v", e)
	}
	a.postREST(ann, lobby, "@ben after the change")
	deadline := time.After(200 * time.Millisecond)
	for {
		select {
		case ev := <-old.events:
			raw := ""
			for _, arg := range ev.Args {
				raw += string(arg)
			}
			if ev.Name == "mention" || strings.Contains(raw, "after the change") {
				t.Fatalf("an ended session got %s %s", ev.Name, ev.Args)
			}
		case <-deadline:
			return
		}
	}
}

// A "/" socket that dropped out and recovers its session gets the mention it
// missed (in a room it is not in), and stays in its user's channel.
func TestRecoveryReplaysMissedMentions(t *testing.T) {
	a := newApp(t, "sqlite")
	ann, ben := a.register("ann"), a.register("ben")
	lobby := a.createRoom(ann, "lobby", false)
	other := a.createRoom(ann, "other", false)
	_, pid, offset := awayAfter(t, a, ben, ann, lobby, "seen")

	missed := a.postREST(ann, other, "@ben over here") // a room ben is not in
	c, connect, err := dialSIO(t, a, dialOpts{auth: map[string]any{"token": ben.Token, "pid": pid, "offset": offset}})
	if err != nil || connect["pid"] != pid {
		t.Fatalf("ben not recovered: %v %v", connect, err)
	}
	if m := c.next("mention").Arg(t); m["message_id"] != missed["id"] {
		t.Fatalf("replayed mention %v", m)
	}
	c.none("mention", 50*time.Millisecond)
	// Still in its user's channel after recovering.
	live := a.postREST(ann, other, "@ben live")
	if m := c.next("mention").Arg(t); m["message_id"] != live["id"] {
		t.Fatalf("live mention after recovery %v", m)
	}
}
