package chat

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/izpochat/server/auth"
	"github.com/izpochat/server/internal/testdb"
	"github.com/izpochat/server/models"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct{ ns atomic.Int64 }

func (c *fakeClock) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) advance(d time.Duration) { c.ns.Add(int64(d)) }

// accessFixture is a service with a hand-moved access-cache clock and two users.
type accessFixture struct {
	svc        *Service
	store      *models.Store
	clock      *fakeClock
	alice, bob Actor
	ctx        context.Context
}

func newAccessFixture(t *testing.T, db *gorm.DB) *accessFixture {
	t.Helper()
	f := &accessFixture{store: models.NewStore(db), clock: &fakeClock{}, ctx: context.Background()}
	f.clock.ns.Store(time.Now().UnixNano())
	f.svc = New(Deps{Store: f.store, Tokens: auth.NewTokens([]byte("k"), time.Hour)})
	f.svc.access = newAccessCache(DefaultAccessTTL, defaultAccessEntries, f.clock.now)
	t.Cleanup(f.svc.Close)
	f.alice = f.register(t, "alice")
	f.bob = f.register(t, "bob")
	return f
}

func (f *accessFixture) register(t *testing.T, name string) Actor {
	t.Helper()
	sess, err := f.svc.Register(f.ctx, RegisterInput{Username: name, Email: name + "@example.com", Password: "secret1"})
	if err != nil {
		t.Fatal(err)
	}
	return Actor{ID: sess.User.ID, Username: name}
}

func (f *accessFixture) publicRoom(t *testing.T) Room {
	t.Helper()
	name := "general"
	r, err := f.svc.CreateRoom(f.ctx, f.alice, RoomInput{Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func wantKind(t *testing.T, err error, want Kind, what string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: allowed, want error of kind %d", what, want)
	}
	if got := KindOf(err); got != want {
		t.Fatalf("%s: error kind %d (%v), want %d", what, got, err, want)
	}
}

func TestMemberLeavingPrivateRoomIsRefusedAtOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newAccessFixture(t, db)
		conv, err := f.svc.StartConversation(f.ctx, f.alice, f.bob.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.svc.CanRead(f.ctx, f.bob, conv.Room.ID); err != nil {
			t.Fatalf("member refused before leaving: %v", err)
		}
		if err := f.svc.LeaveRoom(f.ctx, f.bob, conv.Room.ID); err != nil {
			t.Fatal(err)
		}
		wantKind(t, f.svc.CanRead(f.ctx, f.bob, conv.Room.ID), KindForbidden, "read after leaving")
		_, err = f.svc.PostMessage(f.ctx, f.bob, conv.Room.ID, PostInput{Content: "still here?"})
		wantKind(t, err, KindForbidden, "post after leaving")
	})
}

func TestRoomMadePrivateRefusesOutsidersAtOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newAccessFixture(t, db)
		room := f.publicRoom(t)
		if err := f.svc.CanRead(f.ctx, f.bob, room.ID); err != nil {
			t.Fatalf("outsider refused from a public room: %v", err)
		}
		private := true
		if _, err := f.svc.UpdateRoom(f.ctx, f.alice, room.ID, RoomInput{IsPrivate: &private}); err != nil {
			t.Fatal(err)
		}
		wantKind(t, f.svc.CanRead(f.ctx, f.bob, room.ID), KindForbidden, "outsider after room made private")
		if err := f.svc.CanRead(f.ctx, f.alice, room.ID); err != nil {
			t.Fatalf("creator refused from own private room: %v", err)
		}
	})
}

func TestDeletedRoomIsNotFoundAtOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newAccessFixture(t, db)
		room := f.publicRoom(t)
		if err := f.svc.CanRead(f.ctx, f.bob, room.ID); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.DeleteRoom(f.ctx, f.alice, room.ID); err != nil {
			t.Fatal(err)
		}
		wantKind(t, f.svc.CanRead(f.ctx, f.bob, room.ID), KindNotFound, "read of deleted room")
		_, err := f.svc.PostMessage(f.ctx, f.bob, room.ID, PostInput{Content: "hello?"})
		wantKind(t, err, KindNotFound, "post to deleted room")
	})
}

// A change another instance makes (here: straight through the store) is seen once
// the TTL has passed, and not before: the answer really is reused.
func TestOtherInstancesChangesAreSeenAfterTTL(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newAccessFixture(t, db)
		room := f.publicRoom(t)
		if err := f.svc.CanRead(f.ctx, f.bob, room.ID); err != nil {
			t.Fatal(err)
		}
		if err := f.store.UpdateRoom(f.ctx, room.ID, map[string]any{"is_private": true}); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.CanRead(f.ctx, f.bob, room.ID); err != nil {
			t.Fatalf("within the TTL the cached answer should stand, got %v", err)
		}
		f.clock.advance(DefaultAccessTTL)
		wantKind(t, f.svc.CanRead(f.ctx, f.bob, room.ID), KindForbidden, "after the TTL")
	})
}

// A missing room is never remembered: a room created later (here by another
// instance, through the store) is readable at once.
func TestMissingRoomIsNotCached(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newAccessFixture(t, db)
		wantKind(t, f.svc.CanRead(f.ctx, f.bob, 1), KindNotFound, "read before the room exists")
		r := &models.Room{Name: "late", CreatedBy: f.alice.ID, CreatedAt: Now()}
		if err := f.store.CreateRoom(f.ctx, r, f.alice.ID); err != nil {
			t.Fatal(err)
		}
		if r.ID != 1 {
			t.Skipf("first room got id %d", r.ID)
		}
		if err := f.svc.CanRead(f.ctx, f.bob, r.ID); err != nil {
			t.Fatalf("room created meanwhile: %v", err)
		}
	})
}

// Readers race privacy flips; once the last flip (to private) returns, the
// outsider must be refused: no answer read before a change is stored after it.
func TestAccessCacheUnderConcurrentChanges(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newAccessFixture(t, db)
		room := f.publicRoom(t)
		var wg sync.WaitGroup
		stop := make(chan struct{})
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					if err := f.svc.CanRead(f.ctx, f.bob, room.ID); err != nil && KindOf(err) != KindForbidden {
						t.Errorf("unexpected error: %v", err)
						return
					}
				}
			}()
		}
		for i := range 20 {
			private := i%2 == 1 // ends private
			if _, err := f.svc.UpdateRoom(f.ctx, f.alice, room.ID, RoomInput{IsPrivate: &private}); err != nil {
				t.Fatal(err)
			}
		}
		wantKind(t, f.svc.CanRead(f.ctx, f.bob, room.ID), KindForbidden, "outsider after the last flip")
		close(stop)
		wg.Wait()
		wantKind(t, f.svc.CanRead(f.ctx, f.bob, room.ID), KindForbidden, "outsider after readers stopped")
	})
}

func TestAccessCacheDropsAnswerReadBeforeInvalidation(t *testing.T) {
	c := newAccessCache(time.Minute, 10, nil)
	_, gen, ok := c.get(1, 2)
	if ok {
		t.Fatal("empty cache answered")
	}
	c.forgetMember(1, 2) // a change lands while the query runs
	c.put(1, 2, models.RoomAccess{IsPrivate: true, Member: true}, gen)
	if _, _, ok := c.get(1, 2); ok {
		t.Fatal("an answer read before an invalidation was stored after it")
	}
}

func TestAccessCacheStaysBounded(t *testing.T) {
	clock := &fakeClock{}
	c := newAccessCache(time.Minute, 100, clock.now)
	for i := range 1000 {
		_, gen, _ := c.get(int64(i%7+1), int64(i))
		c.put(int64(i%7+1), int64(i), models.RoomAccess{}, gen)
		if n := c.len(); n > 100 {
			t.Fatalf("cache holds %d answers, limit 100", n)
		}
	}
	// Expired answers are neither served nor kept once room is needed.
	clock.advance(time.Minute)
	if _, _, ok := c.get(1, 7); ok {
		t.Fatal("expired answer served")
	}
	c.forgetRoom(1)
	for room := int64(2); room <= 7; room++ {
		c.forgetRoom(room)
	}
	if n := c.len(); n != 0 {
		t.Fatalf("after forgetting every room the cache holds %d answers", n)
	}
}

func TestAccessCacheDisabled(t *testing.T) {
	c := newAccessCache(-1, 10, nil)
	_, gen, _ := c.get(1, 1)
	c.put(1, 1, models.RoomAccess{}, gen)
	if _, _, ok := c.get(1, 1); ok {
		t.Fatal("a disabled cache answered")
	}
}

// Deps.AccessTTL switches the cache on; without it every check asks the database.
func TestAccessTTLSwitchesTheCache(t *testing.T) {
	db := testdb.Open(t, "sqlite")
	store := models.NewStore(db)
	for _, ttl := range []time.Duration{0, DefaultAccessTTL} {
		svc := New(Deps{Store: store, Tokens: auth.NewTokens([]byte("k"), time.Hour), AccessTTL: ttl})
		_, gen, _ := svc.access.get(1, 1)
		svc.access.put(1, 1, models.RoomAccess{}, gen)
		if _, _, cached := svc.access.get(1, 1); cached != (ttl > 0) {
			t.Fatalf("AccessTTL %v: cached = %v", ttl, cached)
		}
		svc.Close()
	}
}

// A public room is open to everyone: one user's answer serves every user, so a
// room with many posters costs one query per TTL, not one per poster. A private
// room's answer stays per user.
func TestAccessCacheSharesPublicRoomAnswers(t *testing.T) {
	c := newAccessCache(time.Minute, 10, nil)
	_, gen, _ := c.get(1, 10)
	c.put(1, 10, models.RoomAccess{IsPrivate: false, CreatedBy: 10, Member: true}, gen)
	acc, _, ok := c.get(1, 11)
	if !ok {
		t.Fatal("public room: another user's answer was not reused")
	}
	if acc.IsPrivate || acc.Member {
		t.Fatalf("public room answer %+v: want public, membership cleared", acc)
	}
	_, gen, _ = c.get(2, 10)
	c.put(2, 10, models.RoomAccess{IsPrivate: true, CreatedBy: 10, Member: true}, gen)
	if _, _, ok := c.get(2, 11); ok {
		t.Fatal("private room: a member's answer served another user")
	}
	if n := c.len(); n != 2 {
		t.Fatalf("cache holds %d answers, want 2 (one per public room, one per private member)", n)
	}
	c.forgetMember(1, 10) // joining or leaving a public room changes nobody's access
	if _, _, ok := c.get(1, 12); !ok {
		t.Fatal("public room answer dropped by a membership change")
	}
	c.forgetRoom(1)
	if _, _, ok := c.get(1, 12); ok {
		t.Fatal("public room answer served after the room was forgotten")
	}
}

// Through the service: once any user has read a public room, another instance's
// privacy change (straight through the store) reaches a second user only after
// the TTL, like the first — the answer was shared, not asked again.
func TestPublicRoomAccessIsSharedUntilTTL(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newAccessFixture(t, db)
		room := f.publicRoom(t)
		if err := f.svc.CanRead(f.ctx, f.alice, room.ID); err != nil {
			t.Fatal(err)
		}
		if err := f.store.UpdateRoom(f.ctx, room.ID, map[string]any{"is_private": true}); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.CanRead(f.ctx, f.bob, room.ID); err != nil {
			t.Fatalf("bob should get alice's cached public answer within the TTL, got %v", err)
		}
		f.clock.advance(DefaultAccessTTL)
		wantKind(t, f.svc.CanRead(f.ctx, f.bob, room.ID), KindForbidden, "bob after the TTL")
	})
}
