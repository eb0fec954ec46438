package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// countTyped counts the events of l whose name or payload type is typ and
// whose id is id (issue 23's events, on every door).
func countTyped(l *seenLog, typ string, key string, id float64) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, ev := range l.evs {
		if (ev.name == typ || ev.arg["type"] == typ) && ev.arg[key] == id {
			n++
		}
	}
	return n
}

// expectTypedOnce waits for one event typ about id on r, then a little
// longer to catch a duplicate.
func expectTypedOnce(t *testing.T, r *seenLog, typ, key string, id float64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for countTyped(r, typ, key, id) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	if n := countTyped(r, typ, key, id); n != 1 {
		t.Errorf("%s: %d %s events about %v, want exactly 1", r.label(), n, typ, id)
	}
}

// status answers the status of a request without a body.
func (in *instance) status(t *testing.T, method, path, token string) int {
	t.Helper()
	req, _ := http.NewRequest(method, in.Base+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s on %s: %v", method, path, in.Name, err)
	}
	_ = res.Body.Close()
	return res.StatusCode
}

// TestClusterGroupsReachEveryInstance (issue 23): two instances on one
// PostgreSQL schema and a private Redis. A member added through instance A may
// post through B at once (B's access cache was told); an edit and a deletion
// made on A reach ben's every door on B exactly once, and so does the read
// event of ann's marking on A; removing ben on A cuts
// his doors on B at once, and B refuses him at once.
func TestClusterGroupsReachEveryInstance(t *testing.T) {
	instA, instB := startPair(t, "cluster-groups-secret")

	ann, ben := instA.register(t, "ann"), instB.register(t, "ben")
	created := instA.call(t, "POST", "/api/rooms", ann.token, map[string]any{"name": "group", "is_private": true}, http.StatusCreated)
	room := int64(created["id"].(float64))
	messages := fmt.Sprintf("/api/rooms/%d/messages", room)
	// B caches "ben may not read" (for its TTL, 2 s) …
	cached := time.Now()
	instB.call(t, "GET", messages, ben.token, nil, http.StatusForbidden)
	instA.call(t, "POST", fmt.Sprintf("/api/rooms/%d/members", room), ann.token, map[string]any{"user_id": ben.id}, http.StatusCreated)
	// … and forgets it as the member_added access event arrives.
	deadline := cached.Add(time.Second) // well within the TTL: only the event can explain it
	for {
		if status := instB.status(t, "GET", messages, ben.token); status == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("ben still refused on B a second after being added on A")
		}
		time.Sleep(20 * time.Millisecond)
	}

	annMain := dialE2E(t, instA, "/", ann.token)
	annMain.joinRoom(t, room)
	benMain := dialE2E(t, instB, "/", ben.token)
	benMain.joinRoom(t, room)
	benNs := dialE2E(t, instB, fmt.Sprintf("/rooms/%d", room), ben.token)
	benRaw := dialRaw(t, instB, room, ben.token)
	benRaw.waitEvent(t, "welcome")
	bens := []*seenLog{benMain.seenLog, benNs.seenLog, benRaw.seenLog}

	msg := instA.call(t, "POST", messages, ann.token, map[string]any{"content": "draft"}, http.StatusCreated)
	for _, r := range []receiver{annMain, benMain, benNs, benRaw} {
		expectOnce(t, r, "draft")
	}
	id := msg["id"].(float64)
	instA.call(t, "PATCH", fmt.Sprintf("/api/messages/%d", int64(id)), ann.token, map[string]any{"content": "final"}, http.StatusOK)
	for _, r := range append(bens, annMain.seenLog) {
		expectTypedOnce(t, r, "message_edited", "id", id)
	}
	// A reaction made on B reaches every door on both instances once, and the
	// newest page A keeps rendered is dropped by its event (issue 23.4).
	pageOn := func(in *instance, token string) string {
		t.Helper()
		req, _ := http.NewRequest("GET", in.Base+messages, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	if p := pageOn(instA, ann.token); strings.Contains(p, "reactions") {
		t.Fatalf("page on A before any reaction: %s", p)
	}
	instB.call(t, "POST", fmt.Sprintf("/api/messages/%d/reactions", int64(id)), ben.token, map[string]any{"emoji": "👍"}, http.StatusOK)
	for _, r := range append(bens, annMain.seenLog) {
		expectTypedOnce(t, r, "reaction_added", "message_id", id)
	}
	if p := pageOn(instA, ann.token); !strings.Contains(p, `"reactions":[{"emoji":"👍","count":1,"me":false}]`) {
		t.Fatalf("ann's page on A after ben's reaction on B: %s", p)
	}
	if p := pageOn(instA, ben.token); !strings.Contains(p, `"reactions":[{"emoji":"👍","count":1,"me":true}]`) {
		t.Fatalf("ben's page on A: %s", p)
	}
	instA.call(t, "DELETE", fmt.Sprintf("/api/messages/%d", int64(id)), ann.token, nil, http.StatusNoContent)
	for _, r := range append(bens, annMain.seenLog) {
		expectTypedOnce(t, r, "message_deleted", "id", id)
	}

	// Read state (issue 23.5): ann marks on A what ben posted on B; the read
	// event reaches ben's every door on B, and ann's on A, exactly once.
	readMe := instB.call(t, "POST", messages, ben.token, map[string]any{"content": "read me"}, http.StatusCreated)
	expectOnce(t, annMain, "read me")
	readID := readMe["id"].(float64)
	state := instA.call(t, "POST", fmt.Sprintf("/api/rooms/%d/read", room), ann.token, map[string]any{"message_id": readID}, http.StatusOK)
	if state["last_read_id"] != readID {
		t.Fatalf("ann's read state on A: %v", state)
	}
	for _, r := range append(bens, annMain.seenLog) {
		expectTypedOnce(t, r, "read", "message_id", readID)
	}
	if view := instB.call(t, "GET", fmt.Sprintf("/api/rooms/%d", room), ann.token, nil, http.StatusOK); view["last_read_id"] != readID || view["unread_count"] != float64(0) {
		t.Fatalf("ann's room on B: last_read_id %v, unread_count %v", view["last_read_id"], view["unread_count"])
	}

	removed := time.Now()
	instA.call(t, "DELETE", fmt.Sprintf("/api/rooms/%d/members/%d", room, ben.id), ann.token, nil, http.StatusNoContent)
	expectDoorsCut(t, benMain, benNs, benRaw, "removed")
	instB.call(t, "POST", messages, ben.token, map[string]any{"content": "still here?"}, http.StatusForbidden)
	if d := time.Since(removed); d >= 2*time.Second {
		t.Fatalf("checks took %v, beyond the cache TTL: the test proves nothing", d)
	}
	if m := annMain.waitEvent(t, "member_removed"); m["user_id"] != float64(ben.id) {
		t.Fatalf("ann: member_removed %v", m)
	}
	instA.call(t, "POST", messages, ann.token, map[string]any{"content": "after ben"}, http.StatusCreated)
	expectOnce(t, annMain, "after ben")
	for _, r := range []receiver{benMain, benNs, benRaw} {
		if n := r.count("after ben"); n != 0 {
			t.Errorf("%s got a message after ben was removed", r.label())
		}
	}
}
