package chat

import (
	"testing"
	"time"

	"github.com/izpochat/server/models"
)

func TestUserCacheDropsAndRefusesStaleRows(t *testing.T) {
	now := time.Unix(0, 0)
	c := newUserCache(time.Second, 2, func() time.Time { return now })
	_, gen, _ := c.get(1)
	c.forget(1) // a password change lands while the row is read
	c.put(models.UserName{ID: 1, TokenGeneration: 0}, gen)
	if _, _, ok := c.get(1); ok {
		t.Fatal("a row read before its user changed was kept")
	}
	_, gen, _ = c.get(1)
	c.put(models.UserName{ID: 1, TokenGeneration: 1}, gen)
	if u, _, ok := c.get(1); !ok || u.TokenGeneration != 1 {
		t.Fatalf("fresh row: %+v %v", u, ok)
	}
	s := &Service{users: c}
	s.observeUsers(Event{Type: EventSessionsEnded, User: UserRef{ID: 1}, Access: &AccessChange{Reason: ReasonPasswordChanged, Users: []int64{1}}})
	if _, _, ok := c.get(1); ok {
		t.Fatal("sessions_ended kept the row")
	}
	_, gen, _ = c.get(2)
	c.put(models.UserName{ID: 2}, gen)
	s.observeUsers(Event{Type: EventUserChanged, User: UserRef{ID: 2}})
	if _, _, ok := c.get(2); ok {
		t.Fatal("user_changed kept the row")
	}
	_, gen, _ = c.get(3)
	for id := int64(3); id < 10; id++ {
		c.put(models.UserName{ID: id}, gen)
	}
	if len(c.users) > 2 {
		t.Fatalf("%d rows kept, bound 2", len(c.users))
	}
	now = now.Add(time.Second)
	if _, _, ok := c.get(9); ok {
		t.Fatal("a row older than the TTL was served")
	}
	off := newUserCache(0, 0, nil)
	off.put(models.UserName{ID: 1}, 0)
	if _, _, ok := off.get(1); ok {
		t.Fatal("a cache with no TTL kept a row")
	}
}
