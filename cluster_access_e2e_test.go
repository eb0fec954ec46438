package main

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// TestClusterAccessEventsReachEveryInstance runs the binary twice on one
// PostgreSQL schema and a private Redis: B leaves a conversation through
// instance A, and B's connections on instance B (every door) are cut at once,
// and instance B's access cache forgets B's access at once (not after its TTL).
func TestClusterAccessEventsReachEveryInstance(t *testing.T) {
	instA, instB := startPair(t, "cluster-access-secret")

	ann, ben := instA.register(t, "ann"), instB.register(t, "ben")
	conv := instA.call(t, "POST", "/api/conversations", ann.token, map[string]any{"recipient_id": ben.id}, http.StatusCreated)
	room := int64(conv["room_id"].(float64))
	messages := fmt.Sprintf("/api/rooms/%d/messages", room)

	annMain := dialE2E(t, instA, "/", ann.token)
	annMain.joinRoom(t, room)
	benMain := dialE2E(t, instB, "/", ben.token)
	benMain.joinRoom(t, room)
	benNs := dialE2E(t, instB, fmt.Sprintf("/rooms/%d", room), ben.token)
	benRaw := dialRaw(t, instB, room, ben.token)
	benRaw.waitEvent(t, "welcome")
	// ben posts through B: B's access cache now holds "ben may post here".
	instB.call(t, "POST", messages, ben.token, map[string]any{"content": "hi from B"}, http.StatusCreated)
	for _, r := range []receiver{annMain, benMain, benNs, benRaw} {
		expectOnce(t, r, "hi from B")
	}

	left := time.Now()
	instA.call(t, "POST", fmt.Sprintf("/api/rooms/%d/leave", room), ben.token, nil, http.StatusOK)
	expectDoorsCut(t, benMain, benNs, benRaw, "left")
	// B's cache was told, well within its TTL (2 s).
	instB.call(t, "POST", messages, ben.token, map[string]any{"content": "still here?"}, http.StatusForbidden)
	if d := time.Since(left); d >= 2*time.Second {
		t.Fatalf("checks took %v, beyond the cache TTL: the test proves nothing", d)
	}

	instA.call(t, "POST", messages, ann.token, map[string]any{"content": "after ben left"}, http.StatusCreated)
	expectOnce(t, annMain, "after ben left")
	for _, r := range []receiver{benMain, benNs, benRaw} {
		if n := r.count("after ben left"); n != 0 {
			t.Errorf("%s got a message after ben left", r.label())
		}
	}
	if m := annMain.waitEvent(t, "user_left"); int64(m["user_id"].(float64)) != ben.id {
		t.Fatalf("ann: user_left %v, want ben", m)
	}
}
