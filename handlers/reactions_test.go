package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
)

// POST and DELETE /api/messages/{id}/reactions…: any reader reacts, once per
// emoji; bad emoji are 400, a private room's message is 404 to an outsider;
// history shows reactions with "me" for each caller, and their entity tags
// differ.
func TestHTTPReactions(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		author, reader, outsider := h.register("author"), h.register("reader"), h.register("outsider")
		room := h.createRoom(author, "general", false)
		msg := h.postMessage(author, room, "react to me")
		id := int64(num(t, msg["id"]))
		path := fmt.Sprintf("/api/messages/%d/reactions", id)

		got := h.post(path, reader.Token, map[string]any{"emoji": "👍"}).expect(http.StatusOK).obj()
		list, _ := got["reactions"].([]any)
		if int64(num(t, got["message_id"])) != id || int64(num(t, got["room_id"])) != room || len(list) != 1 {
			t.Fatalf("answer = %v", got)
		}
		r := list[0].(map[string]any)
		if r["emoji"] != "👍" || num(t, r["count"]) != 1 || r["me"] != true {
			t.Fatalf("reaction = %v", r)
		}
		h.post(path, reader.Token, map[string]any{"emoji": "👍"}).expect(http.StatusOK) // idempotent
		h.post(path, reader.Token, map[string]any{}).expectError(http.StatusBadRequest)
		h.post(path, reader.Token, map[string]any{"emoji": 5}).expectError(http.StatusBadRequest)
		h.post(path, reader.Token, map[string]any{"emoji": "a b"}).expectError(http.StatusBadRequest)
		h.post(path, reader.Token, map[string]any{"emoji": "this-is-way-too-long-for-an-emoji"}).expectError(http.StatusBadRequest)
		h.post(path, reader.Token, "not json").expectError(http.StatusBadRequest)
		h.post("/api/messages/0/reactions", reader.Token, map[string]any{"emoji": "👍"}).expectError(http.StatusBadRequest)
		h.post("/api/messages/99999/reactions", reader.Token, map[string]any{"emoji": "👍"}).expectError(http.StatusNotFound)
		h.post(path, "", map[string]any{"emoji": "👍"}).expectError(http.StatusUnauthorized)

		history := fmt.Sprintf("/api/rooms/%d/messages", room)
		mine := h.get(history, reader.Token).expect(http.StatusOK)
		theirs := h.get(history, outsider.Token).expect(http.StatusOK)
		me := func(res response) any {
			l := res.list()
			rs, _ := l[0]["reactions"].([]any)
			if len(rs) != 1 {
				t.Fatalf("history reactions = %v", l[0]["reactions"])
			}
			return rs[0].(map[string]any)["me"]
		}
		if me(mine) != true || me(theirs) != false {
			t.Fatalf("me: reader %v, outsider %v", me(mine), me(theirs))
		}
		if mine.Header.Get("ETag") == theirs.Header.Get("ETag") {
			t.Fatal("two callers' different pages share an entity tag")
		}

		del := path + "/" + url.PathEscape("👍")
		out := h.del(del, reader.Token).expect(http.StatusOK).obj()
		if l, _ := out["reactions"].([]any); len(l) != 0 {
			t.Fatalf("after removing: %v", out)
		}
		h.del(del, reader.Token).expect(http.StatusOK) // nothing to remove
		h.del(path+"/"+url.PathEscape("a b"), reader.Token).expectError(http.StatusBadRequest)
		if l := h.get(history, reader.Token).expect(http.StatusOK).list(); l[0]["reactions"] != nil {
			t.Fatalf("history after removing = %v", l[0])
		}

		// A private room's message is not revealed; a deleted one is gone.
		group := h.createRoom(author, "group", true)
		secret := h.postMessage(author, group, "secret")
		spath := fmt.Sprintf("/api/messages/%d/reactions", int64(num(t, secret["id"])))
		h.post(spath, outsider.Token, map[string]any{"emoji": "👀"}).expectError(http.StatusNotFound)
		h.del(fmt.Sprintf("/api/messages/%d", id), author.Token).expect(http.StatusNoContent)
		h.post(path, reader.Token, map[string]any{"emoji": "👍"}).expectError(http.StatusNotFound)
	})
}
