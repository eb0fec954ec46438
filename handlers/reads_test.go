package handlers_test

import (
	"fmt"
	"net/http"
	"testing"
)

// POST /api/rooms/{id}/read and GET /api/rooms/{id}/reads: the HTTP
// translation of the read rules (chat/reads_test.go), and the read fields on
// every room list.
func TestHTTPMarkReadAndReceipts(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		owner, member, outsider := h.register("owner"), h.register("member"), h.register("outsider")
		room := h.createRoom(owner, "group", true)
		h.post(fmt.Sprintf("/api/rooms/%d/members", room), owner.Token, map[string]any{"user_id": member.ID}).expect(http.StatusCreated)
		first := int64(num(t, h.postMessage(owner, room, "one")["id"]))
		second := int64(num(t, h.postMessage(owner, room, "two")["id"]))
		other := h.createRoom(owner, "elsewhere", false)
		elsewhere := int64(num(t, h.postMessage(owner, other, "there")["id"]))

		roomIn := func(list []map[string]any) map[string]any {
			t.Helper()
			for _, r := range list {
				if int64(num(t, r["id"])) == room {
					assertRoom(t, r)
					return r
				}
			}
			t.Fatalf("room %d not listed in %v", room, list)
			return nil
		}
		mine := roomIn(h.get("/api/users/me/rooms", member.Token).expect(http.StatusOK).list())
		if mine["last_read_id"] != nil || num(t, mine["unread_count"]) != 2 {
			t.Fatalf("never marked: %v / %v", mine["last_read_id"], mine["unread_count"])
		}

		path := fmt.Sprintf("/api/rooms/%d/read", room)
		st := h.post(path, member.Token, map[string]any{"message_id": second}).expect(http.StatusOK).obj()
		assertKeys(t, "ReadState", st, "room_id", "user_id", "last_read_id", "unread_count")
		if int64(num(t, st["last_read_id"])) != second || num(t, st["unread_count"]) != 0 || int64(num(t, st["user_id"])) != member.ID {
			t.Fatalf("read state = %v", st)
		}
		// Backwards: 200, the marker stays. A numeric string is an id too.
		st = h.post(path, member.Token, map[string]any{"message_id": fmt.Sprint(first)}).expect(http.StatusOK).obj()
		if int64(num(t, st["last_read_id"])) != second {
			t.Fatalf("marker moved backwards: %v", st)
		}
		h.post(path, member.Token, map[string]any{}).expectError(http.StatusBadRequest)
		h.post(path, member.Token, map[string]any{"message_id": "x"}).expectError(http.StatusBadRequest)
		h.post(path, member.Token, "not json").expectError(http.StatusBadRequest)
		h.post(path, member.Token, map[string]any{"message_id": elsewhere}).expectError(http.StatusBadRequest)
		h.post(path, member.Token, map[string]any{"message_id": 999999}).expectError(http.StatusNotFound)
		h.post(path, outsider.Token, map[string]any{"message_id": second}).expectError(http.StatusForbidden)
		h.post(path, "", map[string]any{"message_id": second}).expectError(http.StatusUnauthorized)
		h.post("/api/rooms/0/read", member.Token, map[string]any{"message_id": second}).expectError(http.StatusBadRequest)

		listed := roomIn(h.get("/api/rooms", member.Token).expect(http.StatusOK).list())
		if int64(num(t, listed["last_read_id"])) != second || num(t, listed["unread_count"]) != 0 {
			t.Fatalf("GET /api/rooms read fields = %v / %v", listed["last_read_id"], listed["unread_count"])
		}
		ownerView := h.get(fmt.Sprintf("/api/rooms/%d", room), owner.Token).expect(http.StatusOK).obj()
		if ownerView["last_read_id"] != nil || num(t, ownerView["unread_count"]) != 0 {
			t.Fatalf("owner (who wrote both) sees %v / %v", ownerView["last_read_id"], ownerView["unread_count"])
		}
		for _, r := range h.get("/api/rooms", "").expect(http.StatusOK).list() {
			if r["unread_count"] != nil || r["last_read_id"] != nil {
				t.Fatalf("anonymous listing shows read state: %v", r)
			}
		}

		reads := h.get(fmt.Sprintf("/api/rooms/%d/reads", room), owner.Token).expect(http.StatusOK).list()
		if len(reads) != 1 {
			t.Fatalf("receipts = %v", reads)
		}
		assertKeys(t, "RoomRead", reads[0], "user_id", "last_read_id")
		if int64(num(t, reads[0]["user_id"])) != member.ID || int64(num(t, reads[0]["last_read_id"])) != second {
			t.Fatalf("receipt = %v", reads[0])
		}
		h.get(fmt.Sprintf("/api/rooms/%d/reads", room), outsider.Token).expectError(http.StatusForbidden)
		h.get("/api/rooms/999999/reads", owner.Token).expectError(http.StatusNotFound)
	})
}

// A conversation's list entry and start answer carry the read fields.
func TestHTTPConversationReadFields(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		a, b := h.register("conv_a"), h.register("conv_b")
		start := h.post("/api/conversations", a.Token, map[string]any{"recipient_id": b.ID}).expect(http.StatusCreated).obj()
		room := int64(num(t, start["room_id"]))
		if num(t, start["unread_count"]) != 0 || start["last_read_id"] != nil {
			t.Fatalf("start answer = %v", start)
		}
		msg := int64(num(t, h.postMessage(a, room, "hello b")["id"]))
		list := h.get("/api/conversations", b.Token).expect(http.StatusOK).list()
		if len(list) != 1 || num(t, list[0]["unread_count"]) != 1 || list[0]["last_read_id"] != nil {
			t.Fatalf("b's conversations = %v", list)
		}
		h.post(fmt.Sprintf("/api/rooms/%d/read", room), b.Token, map[string]any{"message_id": msg}).expect(http.StatusOK)
		list = h.get("/api/conversations", b.Token).expect(http.StatusOK).list()
		if num(t, list[0]["unread_count"]) != 0 || int64(num(t, list[0]["last_read_id"])) != msg {
			t.Fatalf("after marking = %v", list)
		}
	})
}
