package handlers_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// PATCH and DELETE /api/messages/{id}: the author edits; a member who is not
// the author may neither edit nor delete; the room's owner deletes; history
// leaves deleted messages out unless include_deleted=true, and then never
// shows their text.
func TestHTTPEditAndDeleteMessage(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		owner, author, other := h.register("owner"), h.register("author"), h.register("other")
		room := h.createRoom(owner, "group", true)
		for _, u := range []user{author, other} {
			m := h.post(fmt.Sprintf("/api/rooms/%d/members", room), owner.Token, map[string]any{"user_id": u.ID}).expect(http.StatusCreated).obj()
			assertMember(t, m)
		}
		msg := h.postMessage(author, room, "first draft")
		id := int64(num(t, msg["id"]))
		path := fmt.Sprintf("/api/messages/%d", id)
		patch := func(token string, body any) response {
			t.Helper()
			return h.send(req{Method: http.MethodPatch, Path: path, Token: token, Body: body})
		}

		patch(other.Token, map[string]any{"content": "not yours"}).expectError(http.StatusForbidden)
		patch(owner.Token, map[string]any{"content": "not yours either"}).expectError(http.StatusForbidden)
		patch(author.Token, map[string]any{}).expectError(http.StatusBadRequest)
		patch(author.Token, map[string]any{"content": "   "}).expectError(http.StatusBadRequest)
		patch(author.Token, map[string]any{"content": strings.Repeat("x", 5001)}).expectError(http.StatusBadRequest)
		patch(author.Token, "not json").expectError(http.StatusBadRequest)
		h.send(req{Method: http.MethodPatch, Path: "/api/messages/0", Token: author.Token, Body: map[string]any{"content": "x"}}).expectError(http.StatusBadRequest)
		h.send(req{Method: http.MethodPatch, Path: "/api/messages/99999", Token: author.Token, Body: map[string]any{"content": "x"}}).expectError(http.StatusNotFound)
		outsider := h.register("outsider")
		patch(outsider.Token, map[string]any{"content": "x"}).expectError(http.StatusNotFound) // a private room's message is not revealed

		edited := patch(author.Token, map[string]any{"content": "final text"}).expect(http.StatusOK).obj()
		assertMessage(t, edited)
		if edited["content"] != "final text" || edited["edited_at"] == nil {
			t.Fatalf("edited = %v", edited)
		}
		assertTime(t, "edited_at", edited["edited_at"])

		h.del(path, other.Token).expectError(http.StatusForbidden) // a member, not the author
		h.del(path, owner.Token).expect(http.StatusNoContent)      // the room's owner
		h.del(path, author.Token).expectError(http.StatusNotFound) // gone already
		patch(author.Token, map[string]any{"content": "again"}).expectError(http.StatusNotFound)

		history := fmt.Sprintf("/api/rooms/%d/messages", room)
		if l := h.get(history, author.Token).expect(http.StatusOK).list(); len(l) != 0 {
			t.Fatalf("history = %v, want the deleted message left out", l)
		}
		all := h.get(history+"?include_deleted=true", author.Token).expect(http.StatusOK)
		l := all.list()
		if len(l) != 1 || l[0]["content"] != "" || l[0]["deleted_at"] == nil || l[0]["file_url"] != nil {
			t.Fatalf("history with deleted = %v", l)
		}
		if strings.Contains(string(all.Body), "final text") || strings.Contains(string(all.Body), "first draft") {
			t.Fatalf("deleted text returned: %s", all.Body)
		}
		h.get(history+"?include_deleted=maybe", author.Token).expectError(http.StatusBadRequest)
	})
}

// Members: POST/DELETE/PUT /api/rooms/{id}/members/…, with role and my_role in
// the views, and the refused cases.
func TestHTTPMembersAndRoles(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		owner, admin, member, newcomer := h.register("owner"), h.register("admin"), h.register("member"), h.register("newcomer")
		room := h.createRoom(owner, "group", true)
		members := fmt.Sprintf("/api/rooms/%d/members", room)
		h.post(members, admin.Token, map[string]any{"user_id": member.ID}).expectError(http.StatusForbidden) // not a member yet
		h.post(members, owner.Token, map[string]any{"user_id": admin.ID}).expect(http.StatusCreated)
		h.post(members, owner.Token, map[string]any{"user_id": admin.ID}).expectError(http.StatusConflict)
		h.post(members, owner.Token, map[string]any{}).expectError(http.StatusBadRequest)
		h.post(members, owner.Token, map[string]any{"user_id": "abc"}).expectError(http.StatusBadRequest)
		h.post(members, owner.Token, map[string]any{"user_id": 987654}).expectError(http.StatusNotFound)
		h.post(members, admin.Token, map[string]any{"user_id": member.ID}).expectError(http.StatusForbidden) // a plain member

		role := func(u user) string { return fmt.Sprintf("%s/%d", members, u.ID) }
		h.put(role(admin), admin.Token, map[string]any{"role": "admin"}).expectError(http.StatusForbidden)
		h.put(role(admin), owner.Token, map[string]any{"role": "king"}).expectError(http.StatusBadRequest)
		got := h.put(role(admin), owner.Token, map[string]any{"role": "admin"}).expect(http.StatusOK).obj()
		assertMember(t, got)
		if got["role"] != "admin" {
			t.Fatalf("role answer = %v", got)
		}
		h.post(members, admin.Token, map[string]any{"user_id": member.ID}).expect(http.StatusCreated)       // now an admin
		h.put(role(member), admin.Token, map[string]any{"role": "admin"}).expectError(http.StatusForbidden) // role change by an admin
		h.put(role(owner), owner.Token, map[string]any{"role": "member"}).expectError(http.StatusBadRequest)

		roomView := h.get(fmt.Sprintf("/api/rooms/%d", room), admin.Token).expect(http.StatusOK).obj()
		assertRoom(t, roomView)
		if roomView["my_role"] != "admin" {
			t.Fatalf("my_role = %v", roomView["my_role"])
		}
		roles := map[float64]any{}
		for _, m := range h.get(members, member.Token).expect(http.StatusOK).list() {
			assertMember(t, m)
			roles[num(t, m["id"])] = m["role"]
		}
		if roles[float64(owner.ID)] != "owner" || roles[float64(admin.ID)] != "admin" || roles[float64(member.ID)] != "member" {
			t.Fatalf("roles = %v", roles)
		}
		for _, r := range h.get("/api/rooms", newcomer.Token).expect(http.StatusOK).list() {
			if r["my_role"] != nil {
				t.Fatalf("a non-member's my_role = %v", r["my_role"])
			}
		}

		h.del(role(owner), admin.Token).expectError(http.StatusForbidden) // removing the owner
		h.del(role(admin), member.Token).expectError(http.StatusForbidden)
		h.del(role(newcomer), owner.Token).expectError(http.StatusNotFound)
		h.del(members+"/abc", owner.Token).expectError(http.StatusBadRequest)
		h.del(role(member), admin.Token).expect(http.StatusNoContent)
		h.get(fmt.Sprintf("/api/rooms/%d/messages", room), member.Token).expectError(http.StatusForbidden)
		h.del(role(admin), admin.Token).expect(http.StatusNoContent) // themselves
		h.get(fmt.Sprintf("/api/rooms/%d", room), admin.Token).expectError(http.StatusForbidden)

		conv := h.post("/api/conversations", owner.Token, map[string]any{"recipient_id": member.ID}).obj()
		convMembers := fmt.Sprintf("/api/rooms/%d/members", int64(num(t, conv["room_id"])))
		h.post(convMembers, owner.Token, map[string]any{"user_id": newcomer.ID}).expectError(http.StatusForbidden)
		h.del(fmt.Sprintf("%s/%d", convMembers, member.ID), member.Token).expectError(http.StatusForbidden)
	})
}

// reply_to_id on POST /api/rooms/{id}/messages: the reply shows reply_to; a
// reply to another room's message is refused with a clear error.
func TestHTTPReplies(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		u := h.register("replier")
		room, other := h.createRoom(u, "one", false), h.createRoom(u, "two", false)
		orig := h.postMessage(u, room, "question?")
		elsewhere := h.postMessage(u, other, "elsewhere")
		path := fmt.Sprintf("/api/rooms/%d/messages", room)
		reply := h.post(path, u.Token, map[string]any{"content": "answer", "reply_to_id": orig["id"]}).expect(http.StatusCreated).obj()
		assertMessage(t, reply)
		rt, _ := reply["reply_to"].(map[string]any)
		if rt == nil || rt["id"] != orig["id"] || rt["username"] != "replier" || rt["content"] != "question?" {
			t.Fatalf("reply_to = %v", reply["reply_to"])
		}
		e := h.post(path, u.Token, map[string]any{"content": "x", "reply_to_id": elsewhere["id"]}).expectError(http.StatusBadRequest)
		if !strings.Contains(e["error"].(string), "same room") {
			t.Fatalf("cross-room reply error = %v", e)
		}
		h.post(path, u.Token, map[string]any{"content": "x", "reply_to_id": "zz"}).expectError(http.StatusBadRequest)
		h.post(path, u.Token, map[string]any{"content": "x", "reply_to_id": 777777}).expectError(http.StatusNotFound)
		l := h.get(path, u.Token).expect(http.StatusOK).list()
		if len(l) != 2 || l[0]["reply_to"] != nil || l[1]["reply_to"].(map[string]any)["id"] != orig["id"] {
			t.Fatalf("history = %v", l)
		}
	})
}
