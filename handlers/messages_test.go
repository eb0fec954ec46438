package handlers_test

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/izpochat/server/chat"
)

func TestPostMessage(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		u := h.register("poster")
		room := h.createRoom(u, "talk", false)

		var mu sync.Mutex
		var events []chat.Event
		cancel := h.chat.Hub().Listen(func(ev chat.Event) {
			mu.Lock()
			events = append(events, ev)
			mu.Unlock()
		})
		defer cancel()

		before := time.Now().Add(-time.Second)
		msg := h.postMessage(u, room, "  hello world \n")
		assertMessage(t, msg)
		if msg["content"] != "hello world" || int64(num(t, msg["user_id"])) != u.ID || int64(num(t, msg["room_id"])) != room ||
			msg["username"] != "poster" || msg["file_url"] != nil || msg["file_id"] != nil {
			t.Fatalf("posted message = %v", msg)
		}
		if sender := msg["sender"].(map[string]any); sender["full_name"] != "Full poster" {
			t.Fatalf("sender = %v", sender)
		}
		if at := assertTime(t, "created_at", msg["created_at"]); at.Before(before) || at.After(time.Now().Add(time.Second)) {
			t.Fatalf("created_at %v is not now", at)
		}

		// It was handed to the fan-out exactly once, as every door sees it.
		mu.Lock()
		if len(events) != 1 || events[0].Type != chat.EventMessage || events[0].RoomID != room || events[0].Message == nil ||
			events[0].Message.ID != int64(num(t, msg["id"])) {
			t.Fatalf("fan-out events = %+v", events)
		}
		mu.Unlock()

		// Stored: history returns the same object.
		hist := h.get(fmt.Sprintf("/api/rooms/%d/messages", room), u.Token).expect(http.StatusOK).list()
		if len(hist) != 1 {
			t.Fatalf("history = %v", hist)
		}
		assertMessage(t, hist[0])
		for _, k := range messageKeys {
			if fmt.Sprint(hist[0][k]) != fmt.Sprint(msg[k]) {
				t.Fatalf("history field %s = %v, posted %v", k, hist[0][k], msg[k])
			}
		}

		// A post to a public room by a non-member is allowed (public rooms are open).
		other := h.register("passerby")
		h.postMessage(other, room, "hi from outside")
		// A numeric-string file_id is read as a number; an unknown file is 404.
		h.post(fmt.Sprintf("/api/rooms/%d/messages", room), u.Token, map[string]any{"content": "x", "file_id": "424242"}).
			expectError(http.StatusNotFound)
		h.post(fmt.Sprintf("/api/rooms/%d/messages", room), u.Token, map[string]any{"content": "x", "file_id": "abc"}).
			expectError(http.StatusBadRequest)
		h.post(fmt.Sprintf("/api/rooms/%d/messages", room), u.Token, map[string]any{"content": "x", "file_id": -3}).
			expectError(http.StatusBadRequest)
	})
}

func TestPostMessageBadContent(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		u := h.register("typist")
		room := h.createRoom(u, "strict", false)
		path := fmt.Sprintf("/api/rooms/%d/messages", room)

		for name, body := range map[string]any{
			"missing content":   map[string]any{},
			"empty content":     map[string]any{"content": ""},
			"only spaces":       map[string]any{"content": " \t\n "},
			"too long":          map[string]any{"content": strings.Repeat("x", 5001)},
			"too long unicode":  map[string]any{"content": strings.Repeat("ñ", 5001)},
			"NUL":               map[string]any{"content": "a\x00b"},
			"content is number": map[string]any{"content": 5},
			"content is null":   `{"content": null}`,
			"invalid UTF-8":     []byte("{\"content\": \"bad \xff\xfe bytes\"}"),
			"body array":        "[]",
		} {
			t.Run(name, func(t *testing.T) {
				h.as(t).post(path, u.Token, body).expectError(http.StatusBadRequest)
			})
		}
		// Exactly at the limit is fine, and surrounding spaces do not count.
		h.post(path, u.Token, map[string]any{"content": "  " + strings.Repeat("ñ", 5000) + "  "}).expect(http.StatusCreated)
		if n := len(h.get(path, u.Token).expect(http.StatusOK).list()); n != 1 {
			t.Fatalf("%d messages stored, want only the valid one", n)
		}
		h.post(path, "", map[string]any{"content": "anon"}).expectError(http.StatusUnauthorized)
		h.post("/api/rooms/999999/messages", u.Token, map[string]any{"content": "void"}).expectError(http.StatusNotFound)
	})
}

func TestPostMessageConfiguredLength(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		u := h.register("brief")
		room := h.createRoom(u, "short", false)
		path := fmt.Sprintf("/api/rooms/%d/messages", room)
		h.post(path, u.Token, map[string]any{"content": strings.Repeat("a", 10)}).expect(http.StatusCreated)
		h.post(path, u.Token, map[string]any{"content": strings.Repeat("a", 11)}).expectError(http.StatusBadRequest)
	}, withMaxMessageLength(10))
}

func TestHistoryPaging(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		u := h.register("historian")
		room := h.createRoom(u, "archive", false)
		other := h.createRoom(u, "elsewhere", false)
		h.postMessage(u, other, "not in this room")
		const total = 520
		seedMessages(t, h, u.ID, room, total)
		path := fmt.Sprintf("/api/rooms/%d/messages", room)
		all := messageIDs(t, h, u, path+"?limit=500")
		if len(all) != 500 {
			t.Fatalf("limit=500 gave %d", len(all))
		}
		// A page is answered with its length, not chunked.
		if res := h.get(path+"?limit=500", u.Token).expect(http.StatusOK); res.Header.Get("Content-Length") != strconv.Itoa(len(res.Body)) {
			t.Fatalf("Content-Length %q for a body of %d bytes", res.Header.Get("Content-Length"), len(res.Body))
		}
		firstID := all[0] - (total - 500) // ids are consecutive
		want := func(from, to int64) []int64 {
			var out []int64
			for id := from; id <= to; id++ {
				out = append(out, id)
			}
			return out
		}
		lastID := firstID + total - 1

		cases := []struct {
			query string
			want  []int64
		}{
			{"", want(lastID-99, lastID)},                 // default 100, newest, oldest first
			{"?limit=5", want(lastID-4, lastID)},          // newest 5
			{"?limit=1000", want(lastID-499, lastID)},     // capped at 500
			{"?limit=0", want(lastID-99, lastID)},         // 0 means the default
			{"?limit=3&skip=2", want(lastID-4, lastID-2)}, // skip from the newest end
			{fmt.Sprintf("?before_id=%d&limit=3", firstID+10), want(firstID+7, firstID+9)},
			{fmt.Sprintf("?after_id=%d&limit=3", firstID+10), want(firstID+11, firstID+13)},
			{fmt.Sprintf("?after_id=%d", lastID-2), want(lastID-1, lastID)},
			{fmt.Sprintf("?after_id=%d&before_id=%d", firstID, firstID+4), want(firstID+1, firstID+3)},
			{fmt.Sprintf("?before_id=%d", firstID), nil},
			{fmt.Sprintf("?after_id=%d", lastID), nil},
			{"?after_id=0&limit=3", want(firstID, firstID+2)}, // a cursor too: the first 3
			{"?after_id=0&limit=3&skip=1", want(firstID+1, firstID+3)},
			{"?before_id=1&limit=10", nil},
		}
		for _, c := range cases {
			got := messageIDs(t, h, u, path+c.query)
			if !slices.Equal(got, c.want) && !(len(got) == 0 && len(c.want) == 0) {
				t.Fatalf("messages%s = %v..(%d), want %v..(%d)", c.query, head(got), len(got), head(c.want), len(c.want))
			}
		}
		// README's catch-up recipe, from nothing: after_id=0, then the last id seen,
		// until a page is short, gets every message once, in order.
		var caught []int64
		for after := int64(0); ; {
			page := messageIDs(t, h, u, fmt.Sprintf("%s?after_id=%d&limit=500", path, after))
			caught = append(caught, page...)
			if len(page) < 500 {
				break
			}
			after = page[len(page)-1]
		}
		if !slices.Equal(caught, want(firstID, lastID)) {
			t.Fatalf("catch-up from after_id=0 got %d messages %v.., want %d from %d", len(caught), head(caught), total, firstID)
		}
		// The conversation route serves the same history.
		if got := messageIDs(t, h, u, fmt.Sprintf("/api/conversations/%d/messages?limit=5", room)); !slices.Equal(got, want(lastID-4, lastID)) {
			t.Fatalf("conversation messages = %v", got)
		}
		for _, bad := range []string{"?limit=-1", "?limit=abc", "?before_id=-5", "?after_id=x", "?skip=-1", "?limit=1.5"} {
			h.get(path+bad, u.Token).expectError(http.StatusBadRequest)
		}
	})
}

func head(ids []int64) []int64 {
	if len(ids) > 3 {
		return ids[:3]
	}
	return ids
}

func messageIDs(t *testing.T, h *harness, u user, path string) []int64 {
	t.Helper()
	l := h.get(path, u.Token).expect(http.StatusOK).list()
	out := ids(t, l, "id")
	if !slices.IsSorted(out) {
		t.Fatalf("%s is not oldest first: %v", path, out)
	}
	return out
}

// seedMessages inserts n messages directly (the REST path is tested elsewhere).
func seedMessages(t *testing.T, h *harness, userID, roomID int64, n int) {
	t.Helper()
	type row struct {
		Content   string
		UserID    int64
		RoomID    int64
		CreatedAt time.Time
	}
	base := time.Now().UTC().Add(-time.Hour)
	rows := make([]row, n)
	for i := range rows {
		rows[i] = row{Content: fmt.Sprintf("message %d", i), UserID: userID, RoomID: roomID, CreatedAt: base.Add(time.Duration(i) * time.Millisecond)}
	}
	if err := h.db.Table("messages").CreateInBatches(rows, 200).Error; err != nil {
		t.Fatalf("seed messages: %v", err)
	}
}
