package main

import (
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"
)

// TestClusterHistoryETagAcrossInstances runs the binary twice on one
// PostgreSQL schema and a private Redis: instance A keeps the newest page of a
// room rendered, and a message posted on instance B (over REST, then over
// Socket.IO) changes A's answer at once, through Redis, not after the page's age.
func TestClusterHistoryETagAcrossInstances(t *testing.T) {
	instA, instB := startPair(t, "cluster-etag-secret")

	ann, ben := instA.register(t, "ann"), instB.register(t, "ben")
	room := instA.createRoom(t, ann, "polled")
	path := fmt.Sprintf("/api/rooms/%d/messages", room)
	instA.call(t, "POST", path, ann.token, map[string]any{"content": "first"}, http.StatusCreated)

	status, tag := historyGet(t, instA, path, ann.token, "")
	if status != http.StatusOK || tag == "" {
		t.Fatalf("A: %d, ETag %q", status, tag)
	}
	if status, _ := historyGet(t, instA, path, ann.token, tag); status != http.StatusNotModified {
		t.Fatalf("A revalidated: %d, want 304", status)
	}
	// The same bytes carry the same tag on every instance.
	if status, _ := historyGet(t, instB, path, ben.token, tag); status != http.StatusNotModified {
		t.Fatalf("B revalidated A's tag: %d, want 304", status)
	}

	// A post through B's REST door changes A's kept page.
	instB.call(t, "POST", path, ben.token, map[string]any{"content": "from B over REST"}, http.StatusCreated)
	tag = waitChanged(t, instA, path, ann.token, tag, "REST post on B")

	// A post through B's Socket.IO door too.
	sio := dialE2E(t, instB, "/", ben.token)
	sio.joinRoom(t, room)
	sio.send(t, room, "from B over Socket.IO")
	tag = waitChanged(t, instA, path, ann.token, tag, "Socket.IO post on B")
	if status, _ := historyGet(t, instA, path, ann.token, tag); status != http.StatusNotModified {
		t.Fatalf("A after the change: %d, want 304 with the new tag", status)
	}

	// ben's new name (changed through B) shows in A's page at once.
	instB.call(t, "PUT", "/api/users/me", ben.token, map[string]any{"full_name": "Ben Renamed"}, http.StatusOK)
	tag = waitChanged(t, instA, path, ann.token, tag, "name change on B")

	// Authentication rows are kept too: ben's new password (through B) ends his
	// older token on A at once, though A just authenticated it.
	if status, _ := historyGet(t, instA, path, ben.token, tag); status != http.StatusNotModified {
		t.Fatalf("ben on A: %d, want 304", status)
	}
	changed := instB.call(t, "PUT", "/api/users/me", ben.token,
		map[string]any{"password": "another-secret", "current_password": "secret-ben"}, http.StatusOK)
	start := time.Now()
	for {
		status, _ := historyGet(t, instA, path, ben.token, tag)
		if status == http.StatusUnauthorized {
			break
		}
		if status != http.StatusNotModified || time.Since(start) > 3*time.Second {
			t.Fatalf("ben's old token on A after a password change on B: %d after %v", status, time.Since(start))
		}
		time.Sleep(20 * time.Millisecond)
	}
	newToken, _ := changed["access_token"].(string)
	if newToken == "" {
		t.Fatalf("password change answered no token: %v", changed)
	}
	if status, _ := historyGet(t, instA, path, newToken, tag); status != http.StatusNotModified {
		t.Fatalf("ben's new token on A: %d, want 304", status)
	}
}

// waitChanged revalidates tag on in until the answer is a new page; it must be
// well within the kept page's age (10 s), or the test would prove nothing.
func waitChanged(t *testing.T, in *instance, path, token, tag, what string) string {
	t.Helper()
	start := time.Now()
	for time.Since(start) < 3*time.Second {
		status, now := historyGet(t, in, path, token, tag)
		if status == http.StatusOK && now != tag {
			return now
		}
		if status != http.StatusNotModified {
			t.Fatalf("%s: %s answered %d", what, in.Name, status)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s: %s still answers 304 with the old tag after 3 s", what, in.Name)
	return ""
}

// historyGet GETs path with If-None-Match (when set) and returns the status and ETag.
func historyGet(t *testing.T, in *instance, path, token, ifNoneMatch string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, in.Base+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	if ifNoneMatch != "" {
		req.Header.Set("If-None-Match", ifNoneMatch)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s on %s: %v", path, in.Name, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode == http.StatusNotModified && len(body) != 0 {
		t.Fatalf("304 with a body on %s: %q", in.Name, body)
	}
	return res.StatusCode, res.Header.Get("ETag")
}
