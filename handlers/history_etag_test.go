package handlers_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// revalidate GETs path as the browser revalidates its copy: If-None-Match set.
func (h *harness) revalidate(path, token, ifNoneMatch string) response {
	h.t.Helper()
	return h.send(req{Method: http.MethodGet, Path: path, Token: token, Headers: map[string]string{"If-None-Match": ifNoneMatch}})
}

// etagOf checks that a history answer is tagged and must be revalidated.
func etagOf(t *testing.T, r response) string {
	t.Helper()
	tag := r.Header.Get("ETag")
	if len(tag) < 3 || !strings.HasPrefix(tag, `"`) || !strings.HasSuffix(tag, `"`) {
		t.Fatalf("%s %s: ETag %q, want a quoted strong tag", r.method, r.path, tag)
	}
	if cc := r.Header.Get("Cache-Control"); !strings.Contains(cc, "no-cache") {
		t.Fatalf("%s %s: Cache-Control %q, want no-cache", r.method, r.path, cc)
	}
	return tag
}

func expectNotModified(t *testing.T, r response, tag string) {
	t.Helper()
	r.expect(http.StatusNotModified)
	if len(r.Body) != 0 {
		t.Fatalf("304 with a body: %q", r.Body)
	}
	if got := r.Header.Get("ETag"); got != tag {
		t.Fatalf("304 ETag %q, want %q", got, tag)
	}
}

func TestHistoryETagRevalidation(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		ann, ben := h.register("ann"), h.register("ben")
		room := h.createRoom(ann, "etags", false)
		h.postMessage(ann, room, "first")
		path := fmt.Sprintf("/api/rooms/%d/messages", room)

		first := h.get(path, ann.Token).expect(http.StatusOK)
		tag := etagOf(t, first)
		if len(first.list()) != 1 {
			t.Fatalf("history %s", first.Body)
		}
		// The page is the same for every reader of a public room: so is its tag.
		if other := etagOf(t, h.get(path, ben.Token).expect(http.StatusOK)); other != tag {
			t.Fatalf("ben's tag %q, ann's %q", other, tag)
		}
		expectNotModified(t, h.revalidate(path, ann.Token, tag), tag)
		// Weak comparison, lists, "*": all name the current page.
		for _, inm := range []string{"W/" + tag, `"nope", ` + tag, `W/"a",W/"b" ,` + tag + `, "c"`, "*"} {
			expectNotModified(t, h.revalidate(path, ben.Token, inm), tag)
		}
		// Other tags, or a malformed header, get the page.
		for _, inm := range []string{`"nope"`, `W/"nope", "also-not"`, strings.Trim(tag, `"`), `"unterminated`, ","} {
			r := h.revalidate(path, ben.Token, inm).expect(http.StatusOK)
			if etagOf(t, r) != tag || len(r.list()) != 1 {
				t.Fatalf("If-None-Match %q: %s", inm, r.Body)
			}
		}
		// The kept page costs no query at all (access answers are cached too).
		before := h.queries.Load()
		expectNotModified(t, h.revalidate(path, ann.Token, tag), tag)
		if n := h.queries.Load() - before; n != 0 {
			t.Fatalf("a poll of the kept newest page ran %d queries", n)
		}

		// A post changes the page at once.
		h.postMessage(ben, room, "second")
		r := h.revalidate(path, ann.Token, tag).expect(http.StatusOK)
		tag2 := etagOf(t, r)
		if tag2 == tag || len(r.list()) != 2 || r.list()[1]["content"] != "second" {
			t.Fatalf("after a post: tag %q (was %q), %s", tag2, tag, r.Body)
		}
		expectNotModified(t, h.revalidate(path, ann.Token, tag2), tag2)

		// Renaming the room changes every message's room name.
		h.put(fmt.Sprintf("/api/rooms/%d", room), ann.Token, map[string]any{"name": "renamed"}).expect(http.StatusOK)
		r = h.revalidate(path, ann.Token, tag2).expect(http.StatusOK)
		tag3 := etagOf(t, r)
		if tag3 == tag2 || r.list()[0]["room"].(map[string]any)["name"] != "renamed" {
			t.Fatalf("after a rename: tag %q, %s", tag3, r.Body)
		}
		// A sender's new full name shows in their messages.
		h.put("/api/users/me", ben.Token, map[string]any{"full_name": "Ben Renamed"}).expect(http.StatusOK)
		r = h.revalidate(path, ann.Token, tag3).expect(http.StatusOK)
		if etagOf(t, r) == tag3 || r.list()[1]["sender"].(map[string]any)["full_name"] != "Ben Renamed" {
			t.Fatalf("after a name change: %s", r.Body)
		}

		// Other pages are tagged and revalidated too (rendered each time).
		older := h.get(path+"?limit=1", ann.Token).expect(http.StatusOK)
		otag := etagOf(t, older)
		expectNotModified(t, h.revalidate(path+"?limit=1", ann.Token, otag), otag)
		if otag == etagOf(t, h.get(path, ann.Token)) {
			t.Fatal("limit=1 and the newest 100 share a tag")
		}
		// Bad input is still refused, tag or not.
		h.revalidate(path+"?limit=-1", ann.Token, otag).expectError(http.StatusBadRequest)
		h.revalidate(path, "", otag).expectError(http.StatusUnauthorized)
	})
}

// TestHistoryETagNeverHidesARefusal: whoever lost the room gets its refusal,
// with or without a tag that matched a moment before.
func TestHistoryETagNeverHidesARefusal(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		ann, ben, cid := h.register("ann"), h.register("ben"), h.register("cid")

		// ben leaves a conversation: 403, not 304.
		conv := h.post("/api/conversations", ann.Token, map[string]any{"recipient_id": ben.ID}).expect(http.StatusCreated).obj()
		convID := int64(num(t, conv["room_id"]))
		h.postMessage(ann, convID, "just us")
		convPath := fmt.Sprintf("/api/rooms/%d/messages", convID)
		tag := etagOf(t, h.get(convPath, ben.Token).expect(http.StatusOK))
		expectNotModified(t, h.revalidate(convPath, ben.Token, tag), tag)
		h.revalidate(convPath, cid.Token, tag).expectError(http.StatusForbidden)
		h.revalidate(convPath, cid.Token, "*").expectError(http.StatusForbidden)
		h.post(fmt.Sprintf("/api/rooms/%d/leave", convID), ben.Token, nil).expect(http.StatusOK)
		h.revalidate(convPath, ben.Token, tag).expectError(http.StatusForbidden)
		expectNotModified(t, h.revalidate(convPath, ann.Token, tag), tag)

		// A public room made private: cid, no member, is refused at once.
		room := h.createRoom(ann, "closing", false)
		h.postMessage(ann, room, "open for now")
		path := fmt.Sprintf("/api/rooms/%d/messages", room)
		tag = etagOf(t, h.get(path, cid.Token).expect(http.StatusOK))
		expectNotModified(t, h.revalidate(path, cid.Token, tag), tag)
		h.put(fmt.Sprintf("/api/rooms/%d", room), ann.Token, map[string]any{"is_private": true}).expect(http.StatusOK)
		h.revalidate(path, cid.Token, tag).expectError(http.StatusForbidden)

		// A deleted room: 404 for everyone, its creator too.
		tag = etagOf(t, h.get(path, ann.Token).expect(http.StatusOK))
		h.del(fmt.Sprintf("/api/rooms/%d", room), ann.Token).expect(http.StatusOK)
		h.revalidate(path, ann.Token, tag).expectError(http.StatusNotFound)
		h.revalidate(path, ann.Token, "*").expectError(http.StatusNotFound)
	})
}

// TestHistoryCacheBound: the rendered pages kept stay within their bounds, the
// least recently read going first, and every answer stays right past them.
func TestHistoryCacheBound(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		ann := h.register("ann")
		const rooms = 6
		var paths []string
		var tags []string
		for i := range rooms {
			room := h.createRoom(ann, fmt.Sprintf("bound-%d", i), false)
			seedMessages(t, h, ann.ID, room, 20)
			paths = append(paths, fmt.Sprintf("/api/rooms/%d/messages", room))
			tags = append(tags, etagOf(t, h.get(paths[i], ann.Token).expect(http.StatusOK)))
			kept, bytes := h.chat.HistoryCacheStats()
			if kept > 3 || bytes > 1<<20 {
				t.Fatalf("after %d rooms: %d pages, %d bytes kept; bound 3 pages, 1 MiB", i+1, kept, bytes)
			}
		}
		if kept, _ := h.chat.HistoryCacheStats(); kept != 3 {
			t.Fatalf("%d pages kept, want the bound, 3", kept)
		}
		// The evicted rooms answer as before: same tag, 304.
		for i := range rooms {
			expectNotModified(t, h.revalidate(paths[i], ann.Token, tags[i]), tags[i])
		}
	}, withHistoryCache(3, 1<<20))
	// A byte bound below one page keeps none, and answers stay right.
	eachDB(t, func(t *testing.T, h *harness) {
		ann := h.register("ann")
		room := h.createRoom(ann, "big", false)
		seedMessages(t, h, ann.ID, room, 20)
		path := fmt.Sprintf("/api/rooms/%d/messages", room)
		r := h.get(path, ann.Token).expect(http.StatusOK)
		if len(r.Body) <= 1024 {
			t.Fatalf("page of %d bytes: the test needs more than the bound", len(r.Body))
		}
		if kept, bytes := h.chat.HistoryCacheStats(); kept != 0 || bytes != 0 {
			t.Fatalf("%d pages, %d bytes kept under a 1 KiB bound", kept, bytes)
		}
		tag := etagOf(t, r)
		expectNotModified(t, h.revalidate(path, ann.Token, tag), tag)
		h.postMessage(ann, room, "more")
		if etagOf(t, h.revalidate(path, ann.Token, tag).expect(http.StatusOK)) == tag {
			t.Fatal("tag unchanged after a post")
		}
	}, withHistoryCache(10, 1024))
}
