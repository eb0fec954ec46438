package handlers_test

import (
	"fmt"
	"net/http"
	"testing"
)

// A conversation stays a conversation: its starter cannot make it public, no
// third user can join or read it, and the room keeps its fields.
func TestConversationPrivacyCannotChangeAndNobodyElseJoins(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		ann, ben, eve := h.register("ann"), h.register("ben"), h.register("eve")
		conv := h.post("/api/conversations", ann.Token, map[string]any{"recipient_id": ben.ID}).expect(http.StatusCreated).obj()
		room := int64(num(t, conv["room_id"]))
		h.postMessage(ann, room, "just us two")
		path := fmt.Sprintf("/api/rooms/%d", room)

		h.put(path, ann.Token, map[string]any{"is_private": false}).expectError(http.StatusForbidden)
		got := h.get(path, ann.Token).expect(http.StatusOK).obj()
		assertRoom(t, got)
		if got["is_private"] != true {
			t.Fatalf("conversation after a refused privacy change: %v", got)
		}
		// Other fields still change; restating its privacy is no change.
		h.put(path, ann.Token, map[string]any{"description": "ours", "is_private": true}).expect(http.StatusOK)

		h.post(path+"/join", eve.Token, nil).expectError(http.StatusForbidden)
		h.get(path+"/messages", eve.Token).expectError(http.StatusForbidden)
		h.get(fmt.Sprintf("/api/conversations/%d/messages", room), eve.Token).expectError(http.StatusForbidden)
		if n := num(t, h.get(path, ann.Token).expect(http.StatusOK).obj()["member_count"]); n != 2 {
			t.Fatalf("conversation has %v members, want 2", n)
		}
	})
}

// A conversation made public before the rule (or by the Flask backend) is
// still private to its two members.
func TestConversationFlaggedPublicInTheDatabaseStaysPrivate(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		ann, ben, eve := h.register("ann"), h.register("ben"), h.register("eve")
		conv := h.post("/api/conversations", ann.Token, map[string]any{"recipient_id": ben.ID}).expect(http.StatusCreated).obj()
		room := int64(num(t, conv["room_id"]))
		if err := h.db.Exec("UPDATE rooms SET is_private = ? WHERE id = ?", false, room).Error; err != nil {
			t.Fatal(err)
		}
		path := fmt.Sprintf("/api/rooms/%d", room)
		h.post(path+"/join", eve.Token, nil).expectError(http.StatusForbidden)
		h.get(path+"/messages", eve.Token).expectError(http.StatusForbidden)
		h.get(path+"/messages", ben.Token).expect(http.StatusOK)
	})
}
