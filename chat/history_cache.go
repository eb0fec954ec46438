package chat

import (
	"container/list"
	"crypto/sha256"
	"encoding/base64"
	"sync"
	"time"

	"github.com/izpochat/server/config"
)

// HistoryPage is a history answer rendered: its JSON and the strong entity tag
// that names those bytes (the same bytes give the same tag on every instance,
// so a client revalidating through another instance still gets a 304).
type HistoryPage struct {
	Body []byte
	ETag string
}

// newHistoryPage tags a rendered page with a hash of its bytes.
func newHistoryPage(body []byte) HistoryPage {
	sum := sha256.Sum256(body)
	return HistoryPage{Body: body, ETag: `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`}
}

// HistoryCacheBounds bound the rendered newest pages kept: at most Rooms pages
// and Bytes bytes of page bodies, the least recently read going first. Rooms 0
// turns the cache off.
type HistoryCacheBounds struct {
	Rooms int
	Bytes int64
	// MaxAge is how long a page is served without being rendered again (<= 0:
	// DefaultHistoryMaxAge). Every change reaches every instance's cache as a hub
	// event at once; the age bounds only a change whose event was lost (Redis down).
	MaxAge time.Duration
}

// DefaultHistoryMaxAge bounds how stale a page can be when an event was lost
// (config.DefaultHistoryMaxAge, where it is written).
const DefaultHistoryMaxAge = config.DefaultHistoryMaxAge

// historyCache keeps the newest page of each room rendered, so the web app's
// poll (every 3 s per open chat, the same query each time) costs an access check
// and a map read. Pages are dropped by the domain's change events (observeHistory),
// never by the writers of each kind of change.
type historyCache struct {
	bounds HistoryCacheBounds
	now    func() time.Time

	mu    sync.Mutex
	pages map[int64]*list.Element // room id -> element of lru (a *historyEntry)
	lru   *list.List              // most recently read first
	bytes int64
	// gen advances on every drop; a page rendered from what was read at
	// generation g is not kept if its room was dropped since (it may predate the
	// change). dropped remembers when each room was last dropped; past
	// maxDropped rooms it is cleared and floor rises instead (every page read
	// before then is refused: rare and only costs a render).
	gen     uint64
	floor   uint64
	dropped map[int64]uint64
}

type historyEntry struct {
	roomID int64
	page   HistoryPage
	until  time.Time
	// reactors reacted on the page (reactions.go): their "me" differs from
	// the page's, so it is never served to them.
	reactors map[int64]struct{}
}

// entrySize is what an entry counts against Bytes: its body and its reactors.
func entrySize(p HistoryPage, reactors map[int64]struct{}) int64 {
	return int64(len(p.Body)) + 16*int64(len(reactors))
}

const maxDropped = 4096

func newHistoryCache(b HistoryCacheBounds, now func() time.Time) *historyCache {
	if b.MaxAge <= 0 {
		b.MaxAge = DefaultHistoryMaxAge
	}
	if now == nil {
		now = time.Now
	}
	return &historyCache{bounds: b, now: now, pages: make(map[int64]*list.Element),
		lru: list.New(), dropped: make(map[int64]uint64)}
}

// get returns the room's kept page, if fresh and the same for userID.
func (c *historyCache) get(roomID, userID int64) (HistoryPage, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.pages[roomID]
	if !ok {
		return HistoryPage{}, false
	}
	e := el.Value.(*historyEntry)
	if !c.now().Before(e.until) {
		c.remove(el)
		return HistoryPage{}, false
	}
	if _, reacted := e.reactors[userID]; reacted {
		return HistoryPage{}, false
	}
	c.lru.MoveToFront(el)
	return e.page, true
}

// ticket is the generation to hand to put for a page about to be read.
func (c *historyCache) ticket() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// put keeps a page read at generation ticket, to be served to anyone not
// among reactors, unless its room was dropped since or it alone exceeds the
// bounds; least recently read pages make room.
func (c *historyCache) put(roomID int64, p HistoryPage, reactors map[int64]struct{}, ticket uint64) {
	size := entrySize(p, reactors)
	if c.bounds.Rooms <= 0 || size > c.bounds.Bytes {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if ticket < c.floor || c.dropped[roomID] > ticket {
		return
	}
	if el, ok := c.pages[roomID]; ok {
		c.remove(el)
	}
	for c.lru.Len() >= c.bounds.Rooms || c.bytes+size > c.bounds.Bytes {
		c.remove(c.lru.Back())
	}
	c.pages[roomID] = c.lru.PushFront(&historyEntry{roomID: roomID, page: p, until: c.now().Add(c.bounds.MaxAge),
		reactors: reactors})
	c.bytes += size
}

func (c *historyCache) remove(el *list.Element) {
	e := c.lru.Remove(el).(*historyEntry)
	delete(c.pages, e.roomID)
	c.bytes -= entrySize(e.page, e.reactors)
}

// forget drops the room's page: something in it changed.
func (c *historyCache) forget(roomID int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if len(c.dropped) >= maxDropped {
		clear(c.dropped)
		c.floor = c.gen
	}
	c.dropped[roomID] = c.gen
	if el, ok := c.pages[roomID]; ok {
		c.remove(el)
	}
}

// forgetAll drops every page: a change that may touch any room.
func (c *historyCache) forgetAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.floor = c.gen
	clear(c.dropped)
	clear(c.pages)
	c.lru.Init()
	c.bytes = 0
}

// stats reports how many pages and bytes are kept.
func (c *historyCache) stats() (rooms int, bytes int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len(), c.bytes
}
