package handlers_test

import (
	"fmt"
	"net/http"
	"testing"
)

// queriesFor counts the SQL statements one request runs.
func (h *harness) queriesFor(method, path, token string) int64 {
	h.t.Helper()
	before := h.queries.Load()
	h.send(req{Method: method, Path: path, Token: token}).expect(http.StatusOK)
	return h.queries.Load() - before
}

// TestListsRunConstantQueries proves there is no N+1: a list of many rooms (each
// with creator and members), conversations or messages costs the same number of
// statements as a list of one.
func TestListsRunConstantQueries(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		viewer := h.register("viewer")
		makers := []user{h.register("maker_one")}
		roomIDs := []int64{h.createRoom(makers[0], "room 0", false)}
		h.post(fmt.Sprintf("/api/rooms/%d/join", roomIDs[0]), viewer.Token, nil).expect(http.StatusOK)
		h.post("/api/conversations", viewer.Token, map[string]any{"recipient_id": makers[0].ID}).expect(http.StatusCreated)
		h.postMessage(makers[0], roomIDs[0], "hello")

		paths := []string{"/api/rooms", "/api/users/me/rooms", "/api/conversations",
			fmt.Sprintf("/api/rooms/%d/messages", roomIDs[0]), fmt.Sprintf("/api/rooms/%d/members", roomIDs[0])}
		small := map[string]int64{}
		for _, p := range paths {
			small[p] = h.queriesFor("GET", p, viewer.Token)
		}

		for i := 1; i < 12; i++ {
			m := h.register(fmt.Sprintf("maker_%02d", i))
			id := h.createRoom(m, fmt.Sprintf("room %d", i), i%2 == 0)
			if i%2 == 1 {
				h.post(fmt.Sprintf("/api/rooms/%d/join", id), viewer.Token, nil).expect(http.StatusOK)
			}
			h.post("/api/conversations", viewer.Token, map[string]any{"recipient_id": m.ID}).expect(http.StatusCreated)
			h.post(fmt.Sprintf("/api/rooms/%d/join", roomIDs[0]), m.Token, nil).expect(http.StatusOK)
			h.postMessage(m, roomIDs[0], fmt.Sprintf("message from %d", i))
		}
		for _, p := range paths {
			large := h.queriesFor("GET", p, viewer.Token)
			// Fewer is fine (the access cache answers a repeated check); more is N+1.
			if large > small[p] {
				t.Errorf("GET %s ran %d statements with many rows, %d with one: N+1", p, large, small[p])
			}
			if large > 8 {
				t.Errorf("GET %s ran %d statements", p, large)
			}
		}
		if n := len(h.get("/api/rooms", viewer.Token).list()); n < 7 {
			t.Fatalf("only %d rooms listed; the test did not build a large list", n)
		}
	})
}
