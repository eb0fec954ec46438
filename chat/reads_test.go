package chat

import (
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/izpochat/server/internal/testdb"
)

// unreadOf finds roomID in a room list and returns its read fields.
func unreadOf(t *testing.T, rooms []Room, roomID int64) (last *int64, unread int) {
	t.Helper()
	for _, r := range rooms {
		if r.ID == roomID {
			if r.UnreadCount == nil {
				t.Fatalf("room %d listed without unread_count", roomID)
			}
			return r.LastReadID, *r.UnreadCount
		}
	}
	t.Fatalf("room %d not listed", roomID)
	return nil, 0
}

// Marking: a reader of the room, a message of that room; the marker never
// moves backwards, and only a move is published (one read event).
func TestMarkReadMovesForwardOnly(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newAccessFixture(t, db)
		room := f.publicRoom(t)
		other := f.privateRoom(t, f.alice)
		log := listenAll(f.svc)
		var ids []int64
		for _, text := range []string{"one", "two", "three"} {
			m, err := f.svc.PostMessage(f.ctx, f.alice, room.ID, PostInput{Content: text})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, m.ID)
		}
		elsewhere, err := f.svc.PostMessage(f.ctx, f.alice, other.ID, PostInput{Content: "private"})
		if err != nil {
			t.Fatal(err)
		}

		st, err := f.svc.MarkRead(f.ctx, f.bob, room.ID, ids[1])
		if err != nil {
			t.Fatal(err)
		}
		if st.LastReadID == nil || *st.LastReadID != ids[1] || st.UnreadCount != 1 || st.UserID != f.bob.ID || st.RoomID != room.ID {
			t.Fatalf("state after marking the second = %+v", st)
		}
		// An older id is accepted and moves nothing; the same id neither.
		for _, id := range []int64{ids[0], ids[1]} {
			st, err = f.svc.MarkRead(f.ctx, f.bob, room.ID, id)
			if err != nil {
				t.Fatal(err)
			}
			if *st.LastReadID != ids[1] || st.UnreadCount != 1 {
				t.Fatalf("marker after marking %d = %+v, want it at %d", id, st, ids[1])
			}
		}
		if _, err := f.svc.MarkRead(f.ctx, f.bob, room.ID, ids[2]); err != nil {
			t.Fatal(err)
		}
		evs := log.of(EventRead)
		if len(evs) != 2 || evs[0].Read.MessageID != ids[1] || evs[1].Read.MessageID != ids[2] ||
			evs[1].Read.UserID != f.bob.ID || evs[1].RoomID != room.ID || evs[1].Read.RoomID != room.ID {
			t.Fatalf("read events = %+v", evs)
		}

		_, err = f.svc.MarkRead(f.ctx, f.bob, room.ID, elsewhere.ID)
		wantKind(t, err, KindInvalid, "a message of another room")
		_, err = f.svc.MarkRead(f.ctx, f.bob, room.ID, 999999)
		wantKind(t, err, KindNotFound, "a missing message")
		_, err = f.svc.MarkRead(f.ctx, f.bob, room.ID, 0)
		wantKind(t, err, KindInvalid, "message id 0")
		_, err = f.svc.MarkRead(f.ctx, f.bob, other.ID, elsewhere.ID)
		wantKind(t, err, KindForbidden, "a private room bob is not in")
		_, err = f.svc.Reads(f.ctx, f.bob, other.ID)
		wantKind(t, err, KindForbidden, "receipts of a private room bob is not in")
		_, err = f.svc.MarkRead(f.ctx, f.bob, 999999, ids[0])
		wantKind(t, err, KindNotFound, "a missing room")
		if n := len(log.of(EventRead)); n != 2 {
			t.Fatalf("%d read events after the refusals, want 2", n)
		}
	})
}

// Listed rooms show the caller's last_read_id and unread_count: others' live
// messages after the marker, all of them before any mark, capped; nobody
// signed in sees null.
func TestUnreadCountsOnListedRooms(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newAccessFixture(t, db)
		room := f.publicRoom(t)
		if err := f.svc.JoinRoom(f.ctx, f.bob, room.ID); err != nil {
			t.Fatal(err)
		}
		post := func(a Actor, text string) Message {
			t.Helper()
			m, err := f.svc.PostMessage(f.ctx, a, room.ID, PostInput{Content: text})
			if err != nil {
				t.Fatal(err)
			}
			return m
		}
		first := post(f.alice, "a1")
		post(f.bob, "bob's own does not count")
		post(f.alice, "a2")
		gone := post(f.alice, "a3 deleted")
		if err := f.svc.DeleteMessage(f.ctx, f.alice, gone.ID); err != nil {
			t.Fatal(err)
		}
		mine, err := f.svc.MyRooms(f.ctx, f.bob)
		if err != nil {
			t.Fatal(err)
		}
		if last, n := unreadOf(t, mine, room.ID); last != nil || n != 2 {
			t.Fatalf("never marked: last_read_id %v, unread %d; want null, 2", last, n)
		}
		if _, err := f.svc.MarkRead(f.ctx, f.bob, room.ID, first.ID); err != nil {
			t.Fatal(err)
		}
		all, err := f.svc.Rooms(f.ctx, &f.bob, RoomQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if last, n := unreadOf(t, all, room.ID); last == nil || *last != first.ID || n != 1 {
			t.Fatalf("after marking the first: last_read_id %v, unread %d; want %d, 1", last, n, first.ID)
		}
		one, err := f.svc.Room(f.ctx, f.bob, room.ID)
		if err != nil {
			t.Fatal(err)
		}
		if one.UnreadCount == nil || *one.UnreadCount != 1 {
			t.Fatalf("GET room: unread %v", one.UnreadCount)
		}
		// To alice, who wrote the others, only bob's counts.
		if last, n := unreadOf(t, myRoomsOf(t, f, f.alice), room.ID); last != nil || n != 1 {
			t.Fatalf("alice: last_read_id %v, unread %d", last, n)
		}
		anon, err := f.svc.Rooms(f.ctx, nil, RoomQuery{})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range anon {
			if r.UnreadCount != nil || r.LastReadID != nil {
				t.Fatalf("anonymous listing shows read state: %+v", r)
			}
		}
		// The count saturates at MaxUnreadCounted.
		for i := range MaxUnreadCounted + 5 {
			if err := f.svc.store.DB().Exec("INSERT INTO messages (content, user_id, room_id, created_at) VALUES (?, ?, ?, ?)",
				"bulk", f.alice.ID, room.ID, Now()).Error; err != nil {
				t.Fatalf("insert %d: %v", i, err)
			}
		}
		if _, n := unreadOf(t, myRoomsOf(t, f, f.bob), room.ID); n != MaxUnreadCounted {
			t.Fatalf("unread after %d more = %d, want the cap %d", MaxUnreadCounted+5, n, MaxUnreadCounted)
		}
	})
}

func myRoomsOf(t *testing.T, f *accessFixture, a Actor) []Room {
	t.Helper()
	rooms, err := f.svc.MyRooms(f.ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return rooms
}

// Conversations show read state too; receipts list a private room's current
// members only; deleting the room takes its markers with it.
func TestReadsConversationsReceiptsAndRoomDeletion(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newAccessFixture(t, db)
		conv, err := f.svc.StartConversation(f.ctx, f.alice, f.bob.ID)
		if err != nil {
			t.Fatal(err)
		}
		m, err := f.svc.PostMessage(f.ctx, f.alice, conv.Room.ID, PostInput{Content: "hi bob"})
		if err != nil {
			t.Fatal(err)
		}
		list, err := f.svc.Conversations(f.ctx, f.bob)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].UnreadCount != 1 || list[0].LastReadID != nil {
			t.Fatalf("bob's conversations = %+v", list)
		}
		if _, err := f.svc.MarkRead(f.ctx, f.bob, conv.Room.ID, m.ID); err != nil {
			t.Fatal(err)
		}
		if list, _ = f.svc.Conversations(f.ctx, f.bob); list[0].UnreadCount != 0 || list[0].LastReadID == nil || *list[0].LastReadID != m.ID {
			t.Fatalf("after marking: %+v", list)
		}

		carol := f.register(t, "carol")
		group := f.privateRoom(t, f.alice)
		for _, u := range []Actor{f.bob, carol} {
			if _, err := f.svc.AddMember(f.ctx, f.alice, group.ID, u.ID); err != nil {
				t.Fatal(err)
			}
		}
		gm, err := f.svc.PostMessage(f.ctx, f.alice, group.ID, PostInput{Content: "to the group"})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range []Actor{f.bob, carol} {
			if _, err := f.svc.MarkRead(f.ctx, u, group.ID, gm.ID); err != nil {
				t.Fatal(err)
			}
		}
		reads, err := f.svc.Reads(f.ctx, f.alice, group.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(reads) != 2 {
			t.Fatalf("receipts = %+v, want bob and carol", reads)
		}
		if err := f.svc.RemoveMember(f.ctx, f.alice, group.ID, carol.ID); err != nil {
			t.Fatal(err)
		}
		reads, err = f.svc.Reads(f.ctx, f.alice, group.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(reads) != 1 || reads[0].UserID != f.bob.ID || reads[0].LastReadID != gm.ID {
			t.Fatalf("receipts after carol's removal = %+v, want bob's only", reads)
		}
		if err := f.svc.DeleteRoom(f.ctx, f.alice, group.ID); err != nil {
			t.Fatalf("delete a room with read markers: %v", err)
		}
		var left int64
		if err := db.Raw("SELECT COUNT(*) FROM room_reads WHERE room_id = ?", group.ID).Scan(&left).Error; err != nil || left != 0 {
			t.Fatalf("markers left after the room's deletion: %d, %v", left, err)
		}
	})
}

// A read event leaves the kept newest history page in place (read state is
// never in it); a new message drops it as before.
func TestReadKeepsTheHistoryPage(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newAccessFixture(t, db)
		f.svc.history = newHistoryCache(HistoryCacheBounds{Rooms: 10, Bytes: 1 << 20}, nil)
		room := f.publicRoom(t)
		m, err := f.svc.PostMessage(f.ctx, f.alice, room.ID, PostInput{Content: "hello"})
		if err != nil {
			t.Fatal(err)
		}
		before, err := f.svc.HistoryPage(f.ctx, f.bob, room.ID, HistoryQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if rooms, _ := f.svc.HistoryCacheStats(); rooms != 1 {
			t.Fatalf("%d pages kept after the first read, want 1", rooms)
		}
		if _, err := f.svc.MarkRead(f.ctx, f.bob, room.ID, m.ID); err != nil {
			t.Fatal(err)
		}
		if rooms, _ := f.svc.HistoryCacheStats(); rooms != 1 {
			t.Fatal("a read event dropped the kept history page")
		}
		after, err := f.svc.HistoryPage(f.ctx, f.alice, room.ID, HistoryQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if string(after.Body) != string(before.Body) || strings.Contains(string(after.Body), "last_read_id") || strings.Contains(string(after.Body), "unread_count") {
			t.Fatalf("page after a mark = %s", after.Body)
		}
		if _, err := f.svc.PostMessage(f.ctx, f.alice, room.ID, PostInput{Content: "again"}); err != nil {
			t.Fatal(err)
		}
		if rooms, _ := f.svc.HistoryCacheStats(); rooms != 0 {
			t.Fatal("a new message left the old page kept")
		}
	})
}
