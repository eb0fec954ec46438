package handlers_test

import (
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"testing"
	"time"
)

// The FastAPI generation's names on Message: sender_id (user_id) and room{id,
// name}, on the post answer and on history, for every room the reader sees.
func TestMessageCarriesSenderIDAndRoom(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		ann, ben := h.register("ann"), h.register("ben")
		room := h.createRoom(ann, "Café <b>", false)
		h.post(fmt.Sprintf("/api/rooms/%d/join", room), ben.Token, nil).expect(http.StatusOK)
		posted := h.postMessage(ben, room, "hello")
		assertMessage(t, posted)
		want := map[string]any{"id": float64(room), "name": "Café <b>"}
		if posted["sender_id"] != float64(ben.ID) || !reflect.DeepEqual(posted["room"], want) {
			t.Fatalf("posted sender_id/room = %v/%v, want %d/%v", posted["sender_id"], posted["room"], ben.ID, want)
		}
		history := h.get(fmt.Sprintf("/api/rooms/%d/messages", room), ann.Token).expect(http.StatusOK).list()
		if len(history) != 1 {
			t.Fatalf("history = %v", history)
		}
		assertMessage(t, history[0])
		if history[0]["sender_id"] != float64(ben.ID) || !reflect.DeepEqual(history[0]["room"], want) {
			t.Fatalf("history sender_id/room = %v/%v", history[0]["sender_id"], history[0]["room"])
		}
		// A renamed room is named anew at once (the access cache forgets it).
		h.put(fmt.Sprintf("/api/rooms/%d", room), ann.Token, map[string]any{"name": "renamed"}).expect(http.StatusOK)
		history = h.get(fmt.Sprintf("/api/rooms/%d/messages", room), ann.Token).expect(http.StatusOK).list()
		if r := history[0]["room"].(map[string]any); r["name"] != "renamed" {
			t.Fatalf("room after rename = %v", r)
		}
	})
}

// Room carries owner_id/owner (created_by/creator) and updated_at: created_at
// until the first message, then the newest message's time.
func TestRoomCarriesOwnerAndUpdatedAt(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		ann, ben := h.register("ann"), h.register("ben")
		room := h.createRoom(ann, "lobby", false)
		other := h.createRoom(ben, "other", false)
		got := h.get(fmt.Sprintf("/api/rooms/%d", room), ann.Token).expect(http.StatusOK).obj()
		assertRoom(t, got)
		if got["owner_id"] != float64(ann.ID) || got["owner"].(map[string]any)["username"] != "ann" {
			t.Fatalf("owner_id/owner = %v/%v", got["owner_id"], got["owner"])
		}
		if got["updated_at"] != got["created_at"] {
			t.Fatalf("updated_at %v of a room without messages, want created_at %v", got["updated_at"], got["created_at"])
		}
		time.Sleep(5 * time.Millisecond) // the message is visibly later than the room
		h.postMessage(ann, room, "first")
		last := h.postMessage(ann, room, "second")
		got = h.get(fmt.Sprintf("/api/rooms/%d", room), ann.Token).expect(http.StatusOK).obj()
		assertRoom(t, got)
		if got["updated_at"] != last["created_at"] {
			t.Fatalf("updated_at = %v, want the newest message's created_at %v", got["updated_at"], last["created_at"])
		}
		// In lists too, each room its own.
		for _, r := range h.get("/api/rooms", ann.Token).expect(http.StatusOK).list() {
			assertRoom(t, r)
			switch int64(num(t, r["id"])) {
			case room:
				if r["updated_at"] != last["created_at"] {
					t.Fatalf("listed room %v: updated_at %v", room, r["updated_at"])
				}
			case other:
				if r["updated_at"] != r["created_at"] || r["owner_id"] != float64(ben.ID) {
					t.Fatalf("listed room %v: %v", other, r)
				}
			}
		}
		conv := h.post("/api/conversations", ann.Token, map[string]any{"recipient_id": ben.ID}).expect(http.StatusCreated).obj()
		if conv["owner_id"] != conv["created_by"] || conv["updated_at"] == nil {
			t.Fatalf("conversation answer lacks owner_id/updated_at: %v", conv)
		}
	})
}

// GET /api/rooms pages with skip and limit (oldest first, the caller's private
// rooms counted in their place); without them it lists every room.
func TestRoomsSkipLimit(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		ann, ben := h.register("ann"), h.register("ben")
		var visible []int64
		for i := range 6 {
			private := i == 2 || i == 4
			owner := ann
			if i == 4 {
				owner = ben // ben's private room: not ann's to see
			}
			id := h.createRoom(owner, fmt.Sprintf("room %d", i), private)
			if i != 4 {
				visible = append(visible, id)
			}
		}
		all := ids(t, h.get("/api/rooms", ann.Token).expect(http.StatusOK).list(), "id")
		if !slices.Equal(all, visible) {
			t.Fatalf("all rooms = %v, want %v", all, visible)
		}
		for path, want := range map[string][]int64{
			"/api/rooms?skip=1&limit=2":  visible[1:3],
			"/api/rooms/?skip=1&limit=2": visible[1:3],
			"/api/rooms?limit=3":         visible[:3],
			"/api/rooms?skip=3":          visible[3:],
			"/api/rooms?skip=0&limit=0":  visible,
			"/api/rooms?skip=50":         {},
		} {
			got := ids(t, h.get(path, ann.Token).expect(http.StatusOK).list(), "id")
			if !slices.Equal(got, want) {
				t.Errorf("GET %s = %v, want %v", path, got, want)
			}
		}
		// Without a token: public rooms only, paged the same way.
		public := []int64{visible[0], visible[1], visible[3], visible[4]}
		if got := ids(t, h.get("/api/rooms?skip=1&limit=2", "").expect(http.StatusOK).list(), "id"); !slices.Equal(got, public[1:3]) {
			t.Errorf("anonymous page = %v, want %v", got, public[1:3])
		}
		for _, q := range []string{"skip=-1", "limit=-1", "limit=abc", "skip=1.5", "limit=99999999999999999999", "skip=%20"} {
			h.get("/api/rooms?"+q, ann.Token).expectError(http.StatusBadRequest)
		}
	})
}
