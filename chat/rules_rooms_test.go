package chat

import (
	"testing"

	"gorm.io/gorm"

	"github.com/izpochat/server/internal/testdb"
)

// The creator of a room is its first member and cannot leave it; a member can
// leave once, and a non-member is told so.
func TestCreatorCannotLeave(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRules(t, db)
		ann, bob := r.actor("ann"), r.actor("bob")
		room := r.room(ann, "lobby", false)
		if room.CreatedBy == nil || *room.CreatedBy != ann.ID || room.MemberCount != 1 {
			t.Fatalf("new room %+v: want ann as creator and only member", room)
		}
		wantKind(t, r.svc.LeaveRoom(r.ctx, ann, room.ID), KindInvalid, "the creator leaving")
		if err := r.svc.JoinRoom(r.ctx, bob, room.ID); err != nil {
			t.Fatal(err)
		}
		if err := r.svc.JoinRoom(r.ctx, bob, room.ID); err != nil {
			t.Fatalf("joining twice: %v, want a no-op", err)
		}
		if err := r.svc.LeaveRoom(r.ctx, bob, room.ID); err != nil {
			t.Fatal(err)
		}
		wantKind(t, r.svc.LeaveRoom(r.ctx, bob, room.ID), KindInvalid, "leaving a room one is not in")
		members, err := r.svc.Members(r.ctx, ann, room.ID)
		if err != nil || len(members) != 1 || members[0].ID != ann.ID {
			t.Fatalf("members after bob left: %+v, %v", members, err)
		}
	})
}

// A private room is closed to outsiders: they cannot read it, join it, post in
// it or list its members; its members can. Making it public opens it at once
// (the access cache is on).
func TestPrivateRoomIsForMembersOnly(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRules(t, db)
		ann, eve := r.actor("ann"), r.actor("eve")
		room := r.room(ann, "secret", true)
		r.post(ann, room.ID, "hello")
		_, err := r.svc.Room(r.ctx, eve, room.ID)
		wantKind(t, err, KindForbidden, "outsider reads the room")
		wantKind(t, r.svc.JoinRoom(r.ctx, eve, room.ID), KindForbidden, "outsider joins")
		_, err = r.svc.PostMessage(r.ctx, eve, room.ID, PostInput{Content: "let me in"})
		wantKind(t, err, KindForbidden, "outsider posts")
		_, err = r.svc.History(r.ctx, eve, room.ID, HistoryQuery{})
		wantKind(t, err, KindForbidden, "outsider reads the history")
		_, err = r.svc.Members(r.ctx, eve, room.ID)
		wantKind(t, err, KindForbidden, "outsider lists the members")
		for _, listed := range mustRooms(t, r, &eve) {
			if listed.ID == room.ID {
				t.Fatal("the private room is listed to an outsider")
			}
		}

		if _, err := r.svc.UpdateRoom(r.ctx, ann, room.ID, RoomInput{IsPrivate: boolPtr(false)}); err != nil {
			t.Fatal(err)
		}
		if err := r.svc.JoinRoom(r.ctx, eve, room.ID); err != nil {
			t.Fatalf("joining the room made public: %v", err)
		}
		if h, err := r.svc.History(r.ctx, eve, room.ID, HistoryQuery{}); err != nil || len(h) != 1 || h[0].Content != "hello" {
			t.Fatalf("history of the room made public: %+v, %v", h, err)
		}
	})
}

func mustRooms(t *testing.T, r *rules, a *Actor) []Room {
	t.Helper()
	rooms, err := r.svc.Rooms(r.ctx, a, RoomQuery{})
	if err != nil {
		t.Fatal(err)
	}
	return rooms
}

// Only the creator may change or delete a room; a deleted room is gone for
// everyone, its messages with it; a missing room is NotFound.
func TestOnlyTheCreatorChangesOrDeletesARoom(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRules(t, db)
		ann, bob := r.actor("ann"), r.actor("bob")
		room := r.room(ann, "lobby", false)
		if err := r.svc.JoinRoom(r.ctx, bob, room.ID); err != nil {
			t.Fatal(err)
		}
		r.post(bob, room.ID, "hi")
		name := "bob's now"
		_, err := r.svc.UpdateRoom(r.ctx, bob, room.ID, RoomInput{Name: &name})
		wantKind(t, err, KindForbidden, "a member renames the room")
		wantKind(t, r.svc.DeleteRoom(r.ctx, bob, room.ID), KindForbidden, "a member deletes the room")
		renamed, err := r.svc.UpdateRoom(r.ctx, ann, room.ID, RoomInput{Name: &name})
		if err != nil || renamed.Name != name {
			t.Fatalf("the creator renames: %+v, %v", renamed, err)
		}
		empty := "  "
		_, err = r.svc.UpdateRoom(r.ctx, ann, room.ID, RoomInput{Name: &empty})
		wantKind(t, err, KindInvalid, "an empty name")

		if err := r.svc.DeleteRoom(r.ctx, ann, room.ID); err != nil {
			t.Fatal(err)
		}
		_, err = r.svc.Room(r.ctx, bob, room.ID)
		wantKind(t, err, KindNotFound, "the deleted room")
		_, err = r.svc.PostMessage(r.ctx, bob, room.ID, PostInput{Content: "still here?"})
		wantKind(t, err, KindNotFound, "posting in the deleted room")
		var n int64
		if err := db.Table("messages").Where("room_id = ?", room.ID).Count(&n).Error; err != nil || n != 0 {
			t.Fatalf("%d messages of the deleted room remain (%v)", n, err)
		}
		_, err = r.svc.Room(r.ctx, ann, 0)
		wantKind(t, err, KindNotFound, "room 0")
	})
}

// A room needs a name; the creator is a member of the rooms listed as theirs.
func TestCreateRoomRules(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRules(t, db)
		ann := r.actor("ann")
		_, err := r.svc.CreateRoom(r.ctx, ann, RoomInput{})
		wantKind(t, err, KindInvalid, "a room without a name")
		room := r.room(ann, "  trimmed  ", true)
		if room.Name != "trimmed" || !room.IsPrivate {
			t.Fatalf("created %+v", room)
		}
		mine, err := r.svc.MyRooms(r.ctx, ann)
		if err != nil || len(mine) != 1 || mine[0].ID != room.ID {
			t.Fatalf("my rooms: %+v, %v", mine, err)
		}
	})
}
