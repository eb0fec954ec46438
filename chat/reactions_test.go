package chat

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/izpochat/server/internal/testdb"
)

func countReactionRows(t *testing.T, db *gorm.DB) int64 {
	t.Helper()
	var n int64
	if err := db.Raw("SELECT COUNT(*) FROM message_reactions").Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// Reacting: any reader, once per emoji (again changes nothing and publishes
// nothing), a bounded emoji, never on a deleted message nor one the actor may
// not read; stored first, then one event per change.
func TestReactionRules(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newAccessFixture(t, db)
		room := f.publicRoom(t)
		log := listenAll(f.svc)
		msg, err := f.svc.PostMessage(f.ctx, f.alice, room.ID, PostInput{Content: "hello"})
		if err != nil {
			t.Fatal(err)
		}
		got, err := f.svc.AddReaction(f.ctx, f.bob, msg.ID, "👍")
		if err != nil {
			t.Fatal(err)
		}
		if got.MessageID != msg.ID || got.RoomID != room.ID || len(got.Reactions) != 1 ||
			got.Reactions[0] != (Reaction{Emoji: "👍", Count: 1, Me: true}) {
			t.Fatalf("after bob's 👍: %+v", got)
		}
		if got, err = f.svc.AddReaction(f.ctx, f.bob, msg.ID, "👍"); err != nil || got.Reactions[0].Count != 1 {
			t.Fatalf("again: %+v, %v", got, err)
		}
		if got, err = f.svc.AddReaction(f.ctx, f.alice, msg.ID, "👍"); err != nil ||
			got.Reactions[0] != (Reaction{Emoji: "👍", Count: 2, Me: true}) {
			t.Fatalf("alice's 👍: %+v, %v", got, err)
		}
		evs := log.of(EventReactionAdded)
		if len(evs) != 2 {
			t.Fatalf("reaction_added events = %d, want 2 (adding again publishes nothing)", len(evs))
		}
		if r := evs[0].Reaction; r == nil || *r != (ReactionChange{MessageID: msg.ID, RoomID: room.ID, Emoji: "👍", UserID: f.bob.ID}) ||
			evs[0].RoomID != room.ID {
			t.Fatalf("event = %+v", evs[0])
		}
		for _, bad := range []string{"", " ", " 👍", "👍\n", "a b", "\x00", "a/b", "\xff", strings.Repeat("x", 17),
			strings.Repeat("😀", 17), "\u200d\ufe0f", "\u2028"} {
			_, err = f.svc.AddReaction(f.ctx, f.bob, msg.ID, bad)
			wantKind(t, err, KindInvalid, fmt.Sprintf("emoji %q", bad))
		}
		for _, good := range []string{"👨‍👩‍👧‍👦", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "❤️", ":party:", "1️⃣", "+1"} {
			if _, err := f.svc.AddReaction(f.ctx, f.bob, msg.ID, good); err != nil {
				t.Fatalf("emoji %q: %v", good, err)
			}
		}
		_, err = f.svc.AddReaction(f.ctx, f.bob, 999999, "👍")
		wantKind(t, err, KindNotFound, "react to a missing message")
		_, err = f.svc.AddReaction(f.ctx, f.bob, 0, "👍")
		wantKind(t, err, KindNotFound, "react to message 0")

		// Removing: the actor's own only; again changes nothing.
		got, err = f.svc.RemoveReaction(f.ctx, f.bob, msg.ID, "👍")
		if err != nil || got.Reactions[0] != (Reaction{Emoji: "👍", Count: 1, Me: false}) {
			t.Fatalf("bob takes back 👍: %+v, %v", got, err)
		}
		if _, err = f.svc.RemoveReaction(f.ctx, f.bob, msg.ID, "👍"); err != nil {
			t.Fatal(err)
		}
		if n := len(log.of(EventReactionRemoved)); n != 1 {
			t.Fatalf("reaction_removed events = %d, want 1", n)
		}
		_, err = f.svc.RemoveReaction(f.ctx, f.bob, msg.ID, "a b")
		wantKind(t, err, KindInvalid, "unreact a bad emoji")

		// A private room's message is not found for an outsider; a member reacts.
		group := f.privateRoom(t, f.alice)
		secret, err := f.svc.PostMessage(f.ctx, f.alice, group.ID, PostInput{Content: "secret"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.AddReaction(f.ctx, f.bob, secret.ID, "👍")
		wantKind(t, err, KindNotFound, "outsider reacts in a private room")
		_, err = f.svc.RemoveReaction(f.ctx, f.bob, secret.ID, "👍")
		wantKind(t, err, KindNotFound, "outsider unreacts in a private room")
		if _, err := f.svc.AddMember(f.ctx, f.alice, group.ID, f.bob.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.AddReaction(f.ctx, f.bob, secret.ID, "👀"); err != nil {
			t.Fatalf("member reacts: %v", err)
		}

		// A deleted message cannot be reacted to, and its reactions go with it.
		before := countReactionRows(t, db)
		if err := f.svc.DeleteMessage(f.ctx, f.alice, msg.ID); err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.AddReaction(f.ctx, f.bob, msg.ID, "👍")
		wantKind(t, err, KindNotFound, "react to a deleted message")
		if after := countReactionRows(t, db); after != before-7 {
			t.Fatalf("reaction rows %d -> %d after deleting a message with 7", before, after)
		}
		if err := f.svc.DeleteRoom(f.ctx, f.alice, group.ID); err != nil {
			t.Fatal(err)
		}
		if n := countReactionRows(t, db); n != 0 {
			t.Fatalf("reaction rows left after deleting their room: %d", n)
		}
	})
}

// A message shows a bounded number of different emoji; those it shows may
// still be used by others.
func TestReactionEmojiPerMessageBound(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newAccessFixture(t, db)
		room := f.publicRoom(t)
		msg, err := f.svc.PostMessage(f.ctx, f.alice, room.ID, PostInput{Content: "vote"})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < maxEmojiPerMessage; i++ {
			if _, err := f.svc.AddReaction(f.ctx, f.alice, msg.ID, fmt.Sprintf(":e%d:", i)); err != nil {
				t.Fatal(err)
			}
		}
		_, err = f.svc.AddReaction(f.ctx, f.bob, msg.ID, ":one-too-many:")
		wantKind(t, err, KindInvalid, "a new emoji past the bound")
		got, err := f.svc.AddReaction(f.ctx, f.bob, msg.ID, ":e0:")
		if err != nil || len(got.Reactions) != maxEmojiPerMessage || got.Reactions[0] != (Reaction{Emoji: ":e0:", Count: 2, Me: true}) {
			t.Fatalf("an emoji already shown: %+v, %v", got, err)
		}
		// Their order is the order they were first used.
		if got.Reactions[1].Emoji != ":e1:" || got.Reactions[maxEmojiPerMessage-1].Emoji != fmt.Sprintf(":e%d:", maxEmojiPerMessage-1) {
			t.Fatalf("order = %+v", got.Reactions)
		}
	})
}

func historyPageOf(t *testing.T, f *accessFixture, a Actor, roomID int64) (HistoryPage, []Message) {
	t.Helper()
	p, err := f.svc.HistoryPage(f.ctx, a, roomID, HistoryQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var msgs []Message
	if err := json.Unmarshal(p.Body, &msgs); err != nil {
		t.Fatalf("%v: %s", err, p.Body)
	}
	return p, msgs
}

// The newest page is kept rendered and shared, but "me" is the caller's: a
// reader with a reaction on it gets their own rendering (and entity tag),
// every other reader the kept one; a reaction anywhere drops it.
func TestHistoryPageReactionsArePerCaller(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newAccessFixture(t, db)
		f.svc.history = newHistoryCache(HistoryCacheBounds{Rooms: 8, Bytes: 1 << 20, MaxAge: time.Hour}, nil)
		carol := f.register(t, "carol")
		room := f.publicRoom(t)
		msg, err := f.svc.PostMessage(f.ctx, f.alice, room.ID, PostInput{Content: "hi"})
		if err != nil {
			t.Fatal(err)
		}
		plain, msgs := historyPageOf(t, f, carol, room.ID)
		if bytes.Contains(plain.Body, []byte(`"reactions"`)) || len(msgs) != 1 {
			t.Fatalf("a page without reactions carries the field: %s", plain.Body)
		}
		if _, err := f.svc.AddReaction(f.ctx, f.bob, msg.ID, "🎉"); err != nil {
			t.Fatal(err)
		}
		// carol renders it first: kept, with bob among its reactors.
		cp, msgs := historyPageOf(t, f, carol, room.ID)
		if len(msgs[0].Reactions) != 1 || msgs[0].Reactions[0] != (Reaction{Emoji: "🎉", Count: 1, Me: false}) {
			t.Fatalf("carol sees %+v", msgs[0].Reactions)
		}
		if cp.ETag == plain.ETag {
			t.Fatal("the entity tag did not change with a reaction")
		}
		if rooms, _ := f.svc.HistoryCacheStats(); rooms != 1 {
			t.Fatalf("kept pages = %d, want carol's", rooms)
		}
		bp, msgs := historyPageOf(t, f, f.bob, room.ID)
		if msgs[0].Reactions[0] != (Reaction{Emoji: "🎉", Count: 1, Me: true}) {
			t.Fatalf("bob sees %+v (the kept page's me?)", msgs[0].Reactions)
		}
		if bp.ETag == cp.ETag {
			t.Fatal("bob's page has carol's entity tag")
		}
		if ap, _ := historyPageOf(t, f, f.alice, room.ID); ap.ETag != cp.ETag || !bytes.Equal(ap.Body, cp.Body) {
			t.Fatal("alice (no reaction) does not get the kept page")
		}
		// bob renders it first after a change: his page is not kept for others.
		if _, err := f.svc.AddReaction(f.ctx, f.bob, msg.ID, "👍"); err != nil {
			t.Fatal(err)
		}
		if rooms, _ := f.svc.HistoryCacheStats(); rooms != 0 {
			t.Fatalf("a reaction left %d pages kept", rooms)
		}
		if _, msgs := historyPageOf(t, f, f.bob, room.ID); !msgs[0].Reactions[0].Me || !msgs[0].Reactions[1].Me {
			t.Fatalf("bob sees %+v", msgs[0].Reactions)
		}
		if rooms, _ := f.svc.HistoryCacheStats(); rooms != 0 {
			t.Fatal("a page with the caller's own reactions was kept")
		}
		_, msgs = historyPageOf(t, f, carol, room.ID)
		if len(msgs[0].Reactions) != 2 || msgs[0].Reactions[0].Me || msgs[0].Reactions[1].Me {
			t.Fatalf("carol sees %+v after bob read first", msgs[0].Reactions)
		}
		// carol reacts: the kept page goes, and her next page is hers.
		if _, err := f.svc.AddReaction(f.ctx, carol, msg.ID, "🎉"); err != nil {
			t.Fatal(err)
		}
		_, msgs = historyPageOf(t, f, carol, room.ID)
		if msgs[0].Reactions[0] != (Reaction{Emoji: "🎉", Count: 2, Me: true}) {
			t.Fatalf("carol after reacting sees %+v", msgs[0].Reactions)
		}
		// History (not rendered) shows the same.
		list, err := f.svc.History(f.ctx, f.alice, room.ID, HistoryQuery{})
		if err != nil || list[0].Reactions[0] != (Reaction{Emoji: "🎉", Count: 2, Me: false}) {
			t.Fatalf("History: %+v, %v", list, err)
		}
		// A deleted message listed with include_deleted shows no reactions.
		if err := f.svc.DeleteMessage(f.ctx, f.alice, msg.ID); err != nil {
			t.Fatal(err)
		}
		list, err = f.svc.History(f.ctx, f.alice, room.ID, HistoryQuery{IncludeDeleted: true})
		if err != nil || len(list) != 1 || list[0].Reactions != nil {
			t.Fatalf("deleted message: %+v, %v", list, err)
		}
	})
}

// The cache refuses a page to its reactors only.
func TestHistoryCacheSkipsReactors(t *testing.T) {
	c := newHistoryCache(HistoryCacheBounds{Rooms: 2, Bytes: 1 << 10}, nil)
	c.put(1, newHistoryPage([]byte("page")), map[int64]struct{}{7: {}}, c.ticket())
	if _, ok := c.get(1, 7); ok {
		t.Fatal("a reactor got the shared page")
	}
	if p, ok := c.get(1, 8); !ok || string(p.Body) != "page" {
		t.Fatal("another reader did not get the shared page")
	}
	if _, bytes := c.stats(); bytes != 4+16 {
		t.Fatalf("bytes = %d, want the body and one reactor", bytes)
	}
	c.forget(1)
	if _, bytes := c.stats(); bytes != 0 {
		t.Fatalf("bytes after forget = %d", bytes)
	}
}

// Reactions encode as encoding/json does, and a message without them omits
// the field.
func TestReactionsJSONMatchesEncodingJSON(t *testing.T) {
	at := Time(time.Date(2026, 12, 7, 1, 2, 3, 4000, time.UTC))
	m := Message{ID: 1, Type: "message", Content: "x", UserID: 2, Username: "a", RoomID: 3, CreatedAt: at, Timestamp: at}
	with := m
	with.Reactions = []Reaction{{Emoji: "👍", Count: 3, Me: true}, {Emoji: "<&>\"", Count: 1}, {Emoji: "\u2028", Count: 9}}
	empty := m
	empty.Reactions = []Reaction{}
	for _, msgs := range [][]Message{{m}, {with}, {empty, with, m}} {
		want := reflectedJSON(t, msgs)
		if got := AppendMessagesJSON(nil, msgs); !bytes.Equal(got, want) {
			t.Fatalf("encoded\n%s\nwant\n%s", got, want)
		}
	}
	if b := AppendMessagesJSON(nil, []Message{m}); bytes.Contains(b, []byte("reactions")) {
		t.Fatalf("a message without reactions carries the field: %s", b)
	}
}
