package chat

import (
	"sync"
	"time"

	"github.com/izpochat/server/config"
	"github.com/izpochat/server/models"
)

// DefaultAccessTTL is the room-access cache lifetime the server runs with
// (config.DefaultAccessTTL, where it is written).
const DefaultAccessTTL = config.DefaultAccessTTL

// defaultAccessEntries bounds the cache; past it, expired answers (then all) go.
const defaultAccessEntries = 50_000

// accessCache remembers the answers of models.Store.Access, so the access rule
// does not cost a query on every post, typing event and read. A public room is
// open to everyone, so its answer is kept once for every user (Member cleared:
// it decides nothing there); a private room's is kept per (room, user). Only
// found rooms are cached: a missing room is asked again each time.
type accessCache struct {
	ttl time.Duration
	max int
	now func() time.Time

	mu     sync.Mutex
	public map[int64]accessEntry           // public room id -> answer for any user
	rooms  map[int64]map[int64]accessEntry // private room id -> user id -> answer
	size   int
	// gen advances on every invalidation; an answer read from the database before
	// an invalidation is not stored after it (it may predate the change).
	gen uint64
}

type accessEntry struct {
	acc   models.RoomAccess
	until time.Time
}

// newAccessCache builds a cache; ttl <= 0 disables it.
func newAccessCache(ttl time.Duration, maxEntries int, now func() time.Time) *accessCache {
	if maxEntries <= 0 {
		maxEntries = defaultAccessEntries
	}
	if now == nil {
		now = time.Now
	}
	return &accessCache{ttl: ttl, max: maxEntries, now: now,
		public: make(map[int64]accessEntry), rooms: make(map[int64]map[int64]accessEntry)}
}

// get returns a fresh answer, if any, and the generation to hand back to put.
func (c *accessCache) get(roomID, userID int64) (models.RoomAccess, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.public[roomID]; ok && c.now().Before(e.until) {
		return e.acc, c.gen, true
	}
	if e, ok := c.rooms[roomID][userID]; ok && c.now().Before(e.until) {
		return e.acc, c.gen, true
	}
	return models.RoomAccess{}, c.gen, false
}

// put stores an answer read while the cache was at generation gen.
func (c *accessCache) put(roomID, userID int64, acc models.RoomAccess, gen uint64) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	now := c.now()
	if c.size >= c.max {
		c.evict(now)
	}
	entry := accessEntry{acc: acc, until: now.Add(c.ttl)}
	if !acc.IsPrivate {
		entry.acc.Member = false
		if _, ok := c.public[roomID]; !ok {
			c.size++
		}
		c.public[roomID] = entry
		return
	}
	users := c.rooms[roomID]
	if users == nil {
		users = make(map[int64]accessEntry)
		c.rooms[roomID] = users
	}
	if _, ok := users[userID]; !ok {
		c.size++
	}
	users[userID] = entry
}

// evict drops expired answers and, when that is not enough, everything: the
// cache only saves queries, so starting over is always correct. Caller holds mu.
func (c *accessCache) evict(now time.Time) {
	for roomID, e := range c.public {
		if !now.Before(e.until) {
			delete(c.public, roomID)
			c.size--
		}
	}
	for roomID, users := range c.rooms {
		for userID, e := range users {
			if !now.Before(e.until) {
				delete(users, userID)
				c.size--
			}
		}
		if len(users) == 0 {
			delete(c.rooms, roomID)
		}
	}
	if c.size >= c.max*3/4 {
		c.public = make(map[int64]accessEntry)
		c.rooms = make(map[int64]map[int64]accessEntry)
		c.size = 0
	}
}

// forgetRoom drops every answer about roomID (privacy changed, room deleted or created).
func (c *accessCache) forgetRoom(roomID int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.size -= len(c.rooms[roomID])
	delete(c.rooms, roomID)
	if _, ok := c.public[roomID]; ok {
		delete(c.public, roomID)
		c.size--
	}
}

// forgetMember drops the answer about userID in roomID (joined or left). A public
// room's answer stays: membership does not decide access there.
func (c *accessCache) forgetMember(roomID, userID int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if users, ok := c.rooms[roomID]; ok {
		if _, ok := users[userID]; ok {
			delete(users, userID)
			c.size--
		}
	}
}

// len reports how many answers are held (for tests).
func (c *accessCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.size
}
