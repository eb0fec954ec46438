package chat

import (
	"sync"
	"time"

	"github.com/izpochat/server/config"
	"github.com/izpochat/server/models"
)

// DefaultUserTTL is how long an authenticated user's row is reused
// (config.DefaultUserTTL, where it is written); its cache is dropped at once on
// every instance by the hub events observeUsers follows.
const DefaultUserTTL = config.DefaultUserTTL

const defaultUserEntries = 100_000

// userCache remembers the rows Authenticate reads (name and token generation)
// so a poll or a connect costs no query: with a row per request, the database
// was most of the cost of a history poll answered 304.
type userCache struct {
	ttl time.Duration
	max int
	now func() time.Time

	mu    sync.Mutex
	users map[int64]userEntry
	// gen advances on every drop; a row read before a drop is not stored after
	// it (it may predate the change). Drops are rare (password, name changes).
	gen uint64
}

type userEntry struct {
	row   models.UserName
	until time.Time
}

func newUserCache(ttl time.Duration, maxEntries int, now func() time.Time) *userCache {
	if maxEntries <= 0 {
		maxEntries = defaultUserEntries
	}
	if now == nil {
		now = time.Now
	}
	return &userCache{ttl: ttl, max: maxEntries, now: now, users: make(map[int64]userEntry)}
}

func (c *userCache) get(id int64) (models.UserName, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.users[id]; ok && c.now().Before(e.until) {
		return e.row, c.gen, true
	}
	return models.UserName{}, c.gen, false
}

func (c *userCache) put(row models.UserName, gen uint64) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	now := c.now()
	if len(c.users) >= c.max {
		for id, e := range c.users {
			if !now.Before(e.until) {
				delete(c.users, id)
			}
		}
		if len(c.users) >= c.max {
			clear(c.users)
		}
	}
	c.users[row.ID] = userEntry{row: row, until: now.Add(c.ttl)}
}

func (c *userCache) forget(id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	delete(c.users, id)
}

// observeUsers drops the cached row of a user whose sessions ended (a new
// password, a deleted account) or whose names changed, on every instance.
func (s *Service) observeUsers(ev Event) {
	switch ev.Type {
	case EventSessionsEnded, EventUserChanged:
		s.users.forget(ev.User.ID)
		if ev.Access != nil {
			for _, id := range ev.Access.Users {
				s.users.forget(id)
			}
		}
	}
}
