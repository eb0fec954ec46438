package chat

import (
	"strings"
	"sync"
	"testing"

	"gorm.io/gorm"

	"github.com/izpochat/server/internal/testdb"
)

// A message is trimmed, checked (not empty, at most MaxMessageLength
// characters, valid UTF-8) and stored before it is answered; history lists
// the room's messages oldest first.
func TestMessagesAreCheckedStoredAndListed(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRules(t, db)
		ann := r.actor("ann")
		room := r.room(ann, "lobby", false)
		for _, bad := range []string{"", "   ", strings.Repeat("x", 51), "bad \xff utf-8", "nul \x00"} {
			_, err := r.svc.PostMessage(r.ctx, ann, room.ID, PostInput{Content: bad})
			wantKind(t, err, KindInvalid, "post "+bad)
		}
		// The limit counts characters, not bytes.
		r.post(ann, room.ID, strings.Repeat("é", 50))
		m := r.post(ann, room.ID, "  second  ")
		if m.Content != "second" || m.UserID != ann.ID || m.RoomID != room.ID || m.ID == 0 {
			t.Fatalf("posted %+v", m)
		}
		h, err := r.svc.History(r.ctx, ann, room.ID, HistoryQuery{})
		if err != nil || len(h) != 2 || h[1].ID != m.ID || h[0].Content != strings.Repeat("é", 50) {
			t.Fatalf("history %+v, %v", h, err)
		}
		_, err = r.svc.PostMessage(r.ctx, ann, 999999, PostInput{Content: "nowhere"})
		wantKind(t, err, KindNotFound, "posting in a missing room")
	})
}

// Posts in a public room are open to any signed-in account, member or not (the
// Flask backend's rule), and every post is stored once however many come at once.
func TestConcurrentPostsAreEachStoredOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRules(t, db)
		ann, bob := r.actor("ann"), r.actor("bob")
		room := r.room(ann, "lobby", false)
		const n = 20
		var wg sync.WaitGroup
		ids := make([]int64, n)
		for i := range n {
			wg.Go(func() {
				who := ann
				if i%2 == 1 {
					who = bob // not a member of the public room
				}
				m, err := r.svc.PostMessage(r.ctx, who, room.ID, PostInput{Content: "m"})
				if err != nil {
					t.Error(err)
					return
				}
				ids[i] = m.ID
			})
		}
		wg.Wait()
		seen := map[int64]bool{}
		for _, id := range ids {
			if id == 0 || seen[id] {
				t.Fatalf("ids %v: each post must have its own", ids)
			}
			seen[id] = true
		}
		var stored int64
		if err := db.Table("messages").Where("room_id = ?", room.ID).Count(&stored).Error; err != nil || stored != n {
			t.Fatalf("%d messages stored, want %d (%v)", stored, n, err)
		}
	})
}

// A conversation is the one private room of two accounts: starting it twice
// (from either side) finds the same room, only the two can read it, it cannot
// be made public, and nobody starts one with themselves or a missing account.
func TestConversationRules(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRules(t, db)
		ann, bob, eve := r.actor("ann"), r.actor("bob"), r.actor("eve")
		first, err := r.svc.StartConversation(r.ctx, ann, bob.ID)
		if err != nil || !first.Created || !first.Room.IsPrivate || first.Room.MemberCount != 2 {
			t.Fatalf("start: %+v, %v", first, err)
		}
		again, err := r.svc.StartConversation(r.ctx, bob, ann.ID)
		if err != nil || again.Created || again.Room.ID != first.Room.ID {
			t.Fatalf("from the other side: %+v, %v; want the same room", again, err)
		}
		r.post(bob, first.Room.ID, "hi ann")
		_, err = r.svc.History(r.ctx, eve, first.Room.ID, HistoryQuery{})
		wantKind(t, err, KindForbidden, "a third account reads the conversation")
		wantKind(t, r.svc.JoinRoom(r.ctx, eve, first.Room.ID), KindForbidden, "a third account joins the conversation")
		_, err = r.svc.UpdateRoom(r.ctx, ann, first.Room.ID, RoomInput{IsPrivate: boolPtr(false)})
		wantKind(t, err, KindForbidden, "making the conversation public")

		convs, err := r.svc.Conversations(r.ctx, ann)
		if err != nil || len(convs) != 1 {
			t.Fatalf("ann's conversations: %+v, %v", convs, err)
		}
		if others, err := r.svc.Conversations(r.ctx, eve); err != nil || len(others) != 0 {
			t.Fatalf("eve's conversations: %+v, %v", others, err)
		}
		_, err = r.svc.StartConversation(r.ctx, ann, ann.ID)
		wantKind(t, err, KindInvalid, "a conversation with oneself")
		_, err = r.svc.StartConversation(r.ctx, ann, 999999)
		wantKind(t, err, KindNotFound, "a conversation with a missing account")
		_, err = r.svc.StartConversation(r.ctx, ann, 0)
		wantKind(t, err, KindInvalid, "recipient 0")
	})
}

// Two accounts starting their conversation at once get one room.
func TestConcurrentConversationStartsYieldOneRoom(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRules(t, db)
		ann, bob := r.actor("ann"), r.actor("bob")
		const n = 6
		rooms := make([]int64, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				from, to := ann, bob
				if i%2 == 1 {
					from, to = bob, ann
				}
				res, err := r.svc.StartConversation(r.ctx, from, to.ID)
				if err != nil {
					t.Error(err)
					return
				}
				rooms[i] = res.Room.ID
			})
		}
		wg.Wait()
		for _, id := range rooms {
			if id != rooms[0] || id == 0 {
				t.Fatalf("rooms %v: want one", rooms)
			}
		}
	})
}
