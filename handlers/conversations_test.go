package handlers_test

import (
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"

	"github.com/izpochat/server/models"
)

func TestStartConversation(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		ann := h.register("ann")
		ben := h.register("ben")
		outsider := h.register("cyril")

		first := h.post("/api/conversations", ann.Token, map[string]any{"recipient_id": ben.ID}).expect(http.StatusCreated).obj()
		assertKeys(t, "conversation answer", first, append(slices.Clone(roomKeys), "room", "room_id", "message", "status")...)
		if first["status"] != "new_conversation" || first["is_private"] != true || first["room_id"] != first["id"] ||
			num(t, first["member_count"]) != 2 {
			t.Fatalf("new conversation = %v", first)
		}
		assertRoom(t, first["room"].(map[string]any))
		room := int64(num(t, first["room_id"]))

		// From either side, the same room, now "existing"; a numeric string is accepted.
		again := h.post("/api/conversations/", ben.Token, map[string]any{"recipient_id": fmt.Sprint(ann.ID)}).expect(http.StatusOK).obj()
		if again["status"] != "existing_conversation" || int64(num(t, again["room_id"])) != room {
			t.Fatalf("existing conversation = %v", again)
		}
		init := h.post("/api/conversations/initiate", ann.Token, map[string]any{"recipient_id": ben.ID}).expect(http.StatusOK).obj()
		if init["status"] != "existing" || int64(num(t, init["room_id"])) != room {
			t.Fatalf("initiate existing = %v", init)
		}
		created := h.post("/api/conversations/initiate", ann.Token, map[string]any{"recipient_id": outsider.ID}).expect(http.StatusCreated).obj()
		if created["status"] != "created" || int64(num(t, created["room_id"])) == room {
			t.Fatalf("initiate new = %v", created)
		}
		assertKeys(t, "initiate answer", created, append(slices.Clone(roomKeys), "room", "room_id", "message", "status")...)

		// Only the two members read it.
		h.get(fmt.Sprintf("/api/conversations/%d/messages", room), ben.Token).expect(http.StatusOK)
		h.get(fmt.Sprintf("/api/conversations/%d/messages", room), outsider.Token).expectError(http.StatusForbidden)
		h.post(fmt.Sprintf("/api/rooms/%d/join", room), outsider.Token, nil).expectError(http.StatusForbidden)

		h.post("/api/conversations", ann.Token, map[string]any{"recipient_id": ann.ID}).expectError(http.StatusBadRequest)
		h.post("/api/conversations/initiate", ann.Token, map[string]any{"recipient_id": ann.ID}).expectError(http.StatusBadRequest)
		h.post("/api/conversations", ann.Token, map[string]any{"recipient_id": 999999}).expectError(http.StatusNotFound)
		h.post("/api/conversations/initiate", ann.Token, map[string]any{"recipient_id": 999999}).expectError(http.StatusNotFound)
		for name, body := range map[string]any{
			"missing":  map[string]any{},
			"text":     map[string]any{"recipient_id": "ben"},
			"bool":     map[string]any{"recipient_id": true},
			"negative": map[string]any{"recipient_id": -1},
			"zero":     map[string]any{"recipient_id": 0},
			"fraction": map[string]any{"recipient_id": 1.5},
			"array":    "[]",
		} {
			t.Run(name, func(t *testing.T) {
				h.as(t).post("/api/conversations", ann.Token, body).expectError(http.StatusBadRequest)
			})
		}
		h.post("/api/conversations", "", map[string]any{"recipient_id": ben.ID}).expectError(http.StatusUnauthorized)
	})
}

func TestConversationList(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		me := h.register("me_user")
		a := h.register("friend_a")
		b := h.register("friend_b")
		c := h.register("friend_c")
		roomOf := func(u user) int64 {
			res := h.post("/api/conversations", me.Token, map[string]any{"recipient_id": u.ID}).obj()
			return int64(num(t, res["room_id"]))
		}
		ra, rb, rc := roomOf(a), roomOf(b), roomOf(c)
		// A public room is not a conversation.
		h.createRoom(me, "not a dm", false)

		h.postMessage(a, ra, "from a")
		h.postMessage(me, rb, "to b")
		h.postMessage(a, ra, "a again")
		// c's conversation has no message: it sorts by its creation.

		list := h.get("/api/conversations", me.Token).expect(http.StatusOK).list()
		if got := ids(t, list, "room_id"); !slices.Equal(got, []int64{ra, rb, rc}) {
			t.Fatalf("conversations = %v, want newest activity first %v", got, []int64{ra, rb, rc})
		}
		for _, conv := range list {
			assertKeys(t, "conversation", conv, "room_id", "other_user", "last_message", "last_read_id", "unread_count")
			assertKeys(t, "other_user", conv["other_user"].(map[string]any), refKeys...)
		}
		if other := list[0]["other_user"].(map[string]any); int64(num(t, other["id"])) != a.ID || other["username"] != "friend_a" {
			t.Fatalf("other_user = %v", other)
		}
		last := list[0]["last_message"].(map[string]any)
		assertKeys(t, "last_message", last, "content", "created_at")
		assertTime(t, "last_message.created_at", last["created_at"])
		if last["content"] != "a again" {
			t.Fatalf("last_message = %v", last)
		}
		if list[2]["last_message"] != nil {
			t.Fatalf("a conversation without messages has last_message %v", list[2]["last_message"])
		}
		// The other side sees the same room with me as other_user.
		theirs := h.get("/api/conversations", a.Token).expect(http.StatusOK).list()
		if len(theirs) != 1 || int64(num(t, theirs[0]["other_user"].(map[string]any)["id"])) != me.ID {
			t.Fatalf("a's conversations = %v", theirs)
		}
		h.get("/api/conversations", "").expectError(http.StatusUnauthorized)
	})
}

func TestConversationRaceYieldsOneRoom(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		x := h.register("xavier")
		y := h.register("yolanda")
		const n = 10
		type result struct {
			status int
			room   int64
		}
		results := make([]result, 2*n)
		var wg sync.WaitGroup
		for i := range 2 * n {
			from, to := x, y
			if i%2 == 1 {
				from, to = y, x
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				res := h.send(req{Method: "POST", Path: "/api/conversations", Token: from.Token, Body: map[string]any{"recipient_id": to.ID}})
				r := result{status: res.Status}
				if res.Status < 300 {
					r.room = int64(res.obj()["room_id"].(float64))
				}
				results[i] = r
			}()
		}
		wg.Wait()
		created := 0
		for _, r := range results {
			switch r.status {
			case http.StatusCreated:
				created++
			case http.StatusOK:
			default:
				t.Fatalf("concurrent conversation answered %d (all: %v)", r.status, results)
			}
			if r.room != results[0].room {
				t.Fatalf("two rooms for one pair: %v", results)
			}
		}
		if created != 1 {
			t.Fatalf("%d answers said created, want 1 (%v)", created, results)
		}
		var rooms int64
		if err := h.db.Model(&models.Room{}).Count(&rooms).Error; err != nil {
			t.Fatal(err)
		}
		var members int64
		if err := h.db.Model(&models.RoomMember{}).Where("room_id = ?", results[0].room).Count(&members).Error; err != nil {
			t.Fatal(err)
		}
		if rooms != 1 || members != 2 {
			t.Fatalf("%d rooms and %d members stored, want 1 and 2", rooms, members)
		}
	})
}
