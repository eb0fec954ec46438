package chat

import (
	"context"
	"testing"

	"gorm.io/gorm"

	"github.com/izpochat/server/internal/testdb"
)

// twoInstanceBroker hands what one hub publishes to another, as Redis would.
type twoInstanceBroker struct{ deliver func(Event) }

func (b *twoInstanceBroker) Publish(_ context.Context, ev Event) error {
	if b.deliver != nil {
		b.deliver(ev)
	}
	return nil
}
func (b *twoInstanceBroker) Start(context.Context, func(Event)) error { return nil }

// An access event published by another instance clears this instance's cached
// answer before any door sees the event, well within the TTL.
func TestAccessEventOfAnotherInstanceClearsTheCacheBeforeTheDoors(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newAccessFixture(t, db)
		name := "secret"
		private := true
		room, err := f.svc.CreateRoom(f.ctx, f.alice, RoomInput{Name: &name, IsPrivate: &private})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.store.AddMember(f.ctx, room.ID, f.bob.ID); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.CanRead(f.ctx, f.bob, room.ID); err != nil {
			t.Fatal(err) // cached: bob may read
		}
		// Instance 2 (the fixture's service) listens through a broker; instance 1
		// is a second service on the same database whose hub publishes to it.
		link := &twoInstanceBroker{deliver: f.svc.hub.deliver}
		other := New(Deps{Store: f.store, Tokens: f.svc.tokens, Hub: NewHub("one", link)})
		t.Cleanup(other.Close)

		var seenByDoor error = errNotSeen
		f.svc.hub.Listen(func(ev Event) {
			if ev.Type == EventAccessChanged && ev.Access.Revokes(f.bob.ID) {
				seenByDoor = f.svc.CanRead(context.Background(), f.bob, room.ID)
			}
		})
		if err := other.LeaveRoom(f.ctx, f.bob, room.ID); err != nil {
			t.Fatal(err)
		}
		wantKind(t, seenByDoor, KindForbidden, "what a door of the other instance is told when the event reaches it")
	})
}

var errNotSeen = Invalid("the event never reached the door")

func TestAccessChangeSaysWhoLostAccess(t *testing.T) {
	cases := []struct {
		change AccessChange
		lost   map[int64]bool
	}{
		{AccessChange{Reason: ReasonLeft, Users: []int64{2}}, map[int64]bool{1: false, 2: true}},
		{AccessChange{Reason: ReasonRoomPrivate, AllUsers: true, Keep: []int64{1, 3}}, map[int64]bool{1: false, 2: true, 3: false}},
		{AccessChange{Reason: ReasonRoomDeleted, AllUsers: true}, map[int64]bool{1: true, 2: true}},
		{AccessChange{Reason: ReasonRoomPublic, AllUsers: true}, map[int64]bool{1: false, 2: false}},
		{AccessChange{Reason: ReasonPasswordChanged, Users: []int64{1}}, map[int64]bool{1: true, 2: false}},
	}
	for _, c := range cases {
		for uid, want := range c.lost {
			if got := c.change.Revokes(uid); got != want {
				t.Errorf("%+v: Revokes(%d) = %v, want %v", c.change, uid, got, want)
			}
		}
	}
	var none *AccessChange
	if none.Revokes(1) {
		t.Error("a nil change revokes nobody")
	}
}
