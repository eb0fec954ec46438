package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestClusterUserEventsReachEveryInstance (issue 23.6): the events addressed
// to a user, produced on instance A, reach the user's "/" socket and raw
// WebSocket on instance B exactly once, though the user is in none of the
// rooms concerned there; a non-reader on B is never told of a mention.
func TestClusterUserEventsReachEveryInstance(t *testing.T) {
	instA, instB := startPair(t, "cluster-users-secret")

	ann, ben, cal := instA.register(t, "ann"), instB.register(t, "ben"), instB.register(t, "cal")
	lobby := int64(instA.call(t, "POST", "/api/rooms", ann.token, map[string]any{"name": "lobby"}, http.StatusCreated)["id"].(float64))
	group := int64(instA.call(t, "POST", "/api/rooms", ann.token, map[string]any{"name": "group", "is_private": true}, http.StatusCreated)["id"].(float64))

	benMain := dialE2E(t, instB, "/", ben.token) // in no room
	benRaw := dialRaw(t, instB, lobby, ben.token)
	benRaw.waitEvent(t, "welcome")
	calMain := dialE2E(t, instB, "/", cal.token)
	bens := []*seenLog{benMain.seenLog, benRaw.seenLog}

	instA.call(t, "POST", fmt.Sprintf("/api/rooms/%d/members", group), ann.token, map[string]any{"user_id": ben.id}, http.StatusCreated)
	for _, r := range bens {
		expectTypedOnce(t, r, "member_added", "room_id", float64(group))
	}

	msg := instA.call(t, "POST", fmt.Sprintf("/api/rooms/%d/messages", group), ann.token,
		map[string]any{"content": "@ben and @cal: look"}, http.StatusCreated)
	id := msg["id"].(float64)
	for _, r := range bens {
		expectTypedOnce(t, r, "mention", "message_id", id)
	}
	if n := countTyped(calMain.seenLog, "mention", "message_id", id); n != 0 {
		t.Errorf("cal, not a member, got %d mention events", n)
	}
	page := instB.call(t, "GET", fmt.Sprintf("/api/rooms/%d", group), ben.token, nil, http.StatusOK)
	if page["id"] != float64(group) {
		t.Fatalf("group on B: %v", page)
	}
	hist := getBody(t, instB, fmt.Sprintf("/api/rooms/%d/messages", group), ben.token)
	if !strings.Contains(hist, fmt.Sprintf(`"mentions":[{"id":%d,"username":"ben"}]`, ben.id)) {
		t.Fatalf("history on B without ben's mention: %s", hist)
	}

	created := instA.call(t, "POST", "/api/conversations", ann.token, map[string]any{"recipient_id": cal.id}, http.StatusCreated)
	roomID := created["room_id"].(float64)
	expectTypedOnce(t, calMain.seenLog, "conversation_started", "room_id", roomID)
	if n := countTyped(benMain.seenLog, "conversation_started", "room_id", roomID); n != 0 {
		t.Errorf("ben got %d conversation_started events of ann and cal's conversation", n)
	}
}

// getBody answers the body of a GET on in.
func getBody(t *testing.T, in *instance, path, token string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", in.Base+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s on %s: %v", path, in.Name, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}
