package chat

import (
	"fmt"
	"testing"
	"time"
)

func page(s string) HistoryPage { return newHistoryPage([]byte(s)) }

func TestHistoryCacheRefusesPagesReadBeforeADrop(t *testing.T) {
	c := newHistoryCache(HistoryCacheBounds{Rooms: 10, Bytes: 1 << 20}, nil)
	ticket := c.ticket()
	c.forget(1) // a post lands while the page is read
	c.put(1, page("stale"), nil, ticket)
	if _, ok := c.get(1, 0); ok {
		t.Fatal("a page read before its room changed was kept")
	}
	// Another room's change does not refuse it.
	ticket = c.ticket()
	c.forget(2)
	c.put(1, page("fresh"), nil, ticket)
	if p, ok := c.get(1, 0); !ok || string(p.Body) != "fresh" {
		t.Fatalf("page of an unchanged room: %q %v", p.Body, ok)
	}
	ticket = c.ticket()
	c.forgetAll()
	c.put(3, page("stale"), nil, ticket)
	if _, ok := c.get(1, 0); ok {
		t.Fatal("forgetAll kept a page")
	}
	if _, ok := c.get(3, 0); ok {
		t.Fatal("a page read before forgetAll was kept")
	}
	// Past maxDropped rooms the memory of drops is bounded and stays safe.
	ticket = c.ticket()
	for i := range maxDropped + 10 {
		c.forget(int64(1000 + i))
	}
	c.put(1000, page("stale"), nil, ticket)
	if _, ok := c.get(1000, 0); ok {
		t.Fatal("a page read before its room changed was kept past maxDropped")
	}
	if len(c.dropped) > maxDropped {
		t.Fatalf("%d drops remembered", len(c.dropped))
	}
}

func TestHistoryCacheLRUAndAge(t *testing.T) {
	now := time.Unix(0, 0)
	c := newHistoryCache(HistoryCacheBounds{Rooms: 3, Bytes: 25, MaxAge: time.Second}, func() time.Time { return now })
	for i := range 3 {
		c.put(int64(i), page(fmt.Sprintf("page-%d", i)), nil, c.ticket()) // 6 bytes each
	}
	c.get(0, 0) // 0 is now the most recently read: 1 goes first
	c.put(3, page("page-3"), nil, c.ticket())
	if _, ok := c.get(1, 0); ok {
		t.Fatal("the least recently read page survived")
	}
	for _, id := range []int64{0, 2, 3} {
		if _, ok := c.get(id, 0); !ok {
			t.Fatalf("page %d evicted", id)
		}
	}
	c.put(4, page("a-page-of-twenty-bytes"), nil, c.ticket()) // 22 bytes: all others go
	if rooms, bytes := c.stats(); rooms != 1 || bytes != 22 {
		t.Fatalf("after a big page: %d pages, %d bytes", rooms, bytes)
	}
	c.put(5, page("twenty-six-bytes-too-many!"), nil, c.ticket())
	if _, ok := c.get(5, 0); ok {
		t.Fatal("a page above the byte bound was kept")
	}
	now = now.Add(time.Second)
	if _, ok := c.get(4, 0); ok {
		t.Fatal("a page older than MaxAge was served")
	}
	if rooms, bytes := c.stats(); rooms != 0 || bytes != 0 {
		t.Fatalf("expired page still counted: %d pages, %d bytes", rooms, bytes)
	}
	off := newHistoryCache(HistoryCacheBounds{}, nil)
	off.put(1, page("x"), nil, off.ticket())
	if _, ok := off.get(1, 0); ok {
		t.Fatal("a cache with no rooms kept a page")
	}
}

func TestHistoryUnchangedOnlyByPresence(t *testing.T) {
	for _, ev := range []Event{{Type: EventTyping}, {Type: EventUserJoined}, {Type: EventUserLeft},
		{Type: EventSessionsEnded, Access: &AccessChange{Reason: ReasonPasswordChanged}}} {
		if !historyUnchanged(ev) {
			t.Errorf("%s %+v drops pages", ev.Type, ev.Access)
		}
	}
	for _, ev := range []Event{{Type: EventMessage}, {Type: EventAccessChanged}, {Type: EventRoomChanged},
		{Type: EventUserChanged}, {Type: "message_edited"}, {Type: "some_future_change"},
		{Type: EventSessionsEnded, Access: &AccessChange{Reason: ReasonUserDeleted}}} {
		if historyUnchanged(ev) {
			t.Errorf("%s keeps pages", ev.Type)
		}
	}
}
