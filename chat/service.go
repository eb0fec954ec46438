package chat

import (
	"context"
	"log/slog"
	"time"

	"github.com/izpochat/server/auth"
	"github.com/izpochat/server/config"
	"github.com/izpochat/server/models"
	"github.com/izpochat/server/storage"
)

// Limits bounds what clients may send.
type Limits struct {
	MaxMessageLength int // characters, after trimming
	MaxMembersListed int // members listed inside a Room object (member_count stays exact)
}

// Service is the domain core. Every door calls it; it is safe for concurrent use.
type Service struct {
	store     *models.Store
	tokens    *auth.Tokens
	passwords *auth.Passwords
	hub       *Hub
	presence  Presence
	limits    Limits
	log       *slog.Logger
	writer    *sequencer
	access    *accessCache
	limiter   Limiter
	rates     RateLimits
	links     fileLinks     // signed links to files not open to all (file_links.go)
	objects   storage.Store // where files' bytes are, for deleting a room's files (room_files.go); nil: none
	history   *historyCache // the newest page of each room, rendered (history_page.go)
	users     *userCache    // rows Authenticate reads (user_cache.go)
}

// Deps are what the domain needs from the outside.
type Deps struct {
	Store  *models.Store
	Tokens *auth.Tokens
	// Passwords hashes and checks passwords within the configured memory budget
	// (nil: auth.NewPasswords's defaults).
	Passwords *auth.Passwords
	Hub       *Hub
	Presence  Presence
	Limits    Limits
	Logger    *slog.Logger
	// WriteTimeout bounds how long a post waits for the database to store it
	// (DB_WRITE_TIMEOUT): then the poster gets 503. <= 0: no bound.
	WriteTimeout time.Duration
	// AccessTTL is how long a room-access answer is reused (<= 0: never; the
	// server uses DefaultAccessTTL). Access changes of every instance reach the
	// cache as hub events at once; the TTL only bounds a change whose event was
	// lost (Redis down).
	AccessTTL time.Duration
	// UserTTL is how long an authenticated user's row is reused (<= 0: never;
	// the server uses DefaultUserTTL). Password and name changes of every
	// instance reach the cache as hub events at once.
	UserTTL time.Duration
	// RateLimits are what clients may do how often (zero rules: unlimited);
	// Limiter counts it (nil: an in-process LocalLimiter).
	RateLimits RateLimits
	Limiter    Limiter
	// HistoryCache bounds the rendered newest history pages kept (zero Rooms: none).
	HistoryCache HistoryCacheBounds
}

// New builds the domain core.
func New(d Deps) *Service {
	if d.Limits.MaxMessageLength <= 0 {
		d.Limits.MaxMessageLength = config.DefaultMaxMessageLength
	}
	if d.Limits.MaxMembersListed <= 0 {
		d.Limits.MaxMembersListed = config.DefaultMaxMembersListed
	}
	if d.Presence == nil {
		d.Presence = NewLocalPresence()
	}
	if d.Hub == nil {
		d.Hub = NewHub("local", nil)
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Limiter == nil {
		d.Limiter = NewLocalLimiter(0)
	}
	if d.Passwords == nil {
		d.Passwords = auth.NewPasswords(0, 0)
	}
	s := &Service{store: d.Store, tokens: d.Tokens, passwords: d.Passwords, hub: d.Hub, presence: d.Presence,
		limits: d.Limits, log: d.Logger, access: newAccessCache(d.AccessTTL, defaultAccessEntries, nil),
		limiter: d.Limiter, rates: d.RateLimits, history: newHistoryCache(d.HistoryCache, nil),
		users: newUserCache(d.UserTTL, defaultUserEntries, nil)}
	var elsewhere func(context.Context, Event)
	if d.Hub.clustered() {
		elsewhere = s.publishMessageElsewhere
	}
	s.writer = newSequencer(d.Store, s.publishMessageHere, elsewhere, d.WriteTimeout, d.Logger)
	d.Hub.observe(s.observe)
	d.Hub.observe(s.observeHistory)
	d.Hub.observe(s.observeUsers)
	return s
}

// Close stops the message writer once it has stored and published what was queued.
func (s *Service) Close() { s.writer.close() }

// Hub is the fan-out the doors listen to.
func (s *Service) Hub() *Hub { return s.hub }

// Limits reports the configured limits.
func (s *Service) Limits() Limits { return s.limits }

// publishMessageHere hands a stored message's event to this instance's doors.
func (s *Service) publishMessageHere(ev Event) Event {
	if ev.At.IsZero() {
		ev.At = Now()
	}
	return s.hub.publishHere(ev)
}

// publishMessageElsewhere sends a stored message's event to the other instances;
// a broker failure is logged (the event is stored and delivered here already).
func (s *Service) publishMessageElsewhere(ctx context.Context, ev Event) {
	if err := s.hub.publishElsewhere(ctx, ev); err != nil {
		s.log.WarnContext(ctx, "fan-out to other instances failed", "type", ev.Type, "room_id", ev.RoomID, "err", err)
	}
}

// publish hands ev to the fan-out; a broker failure is logged, never returned to
// the client: the event is stored and delivered locally already.
func (s *Service) publish(ctx context.Context, ev Event) {
	if ev.At.IsZero() {
		ev.At = Now()
	}
	if err := s.hub.Publish(ctx, ev); err != nil {
		s.log.WarnContext(ctx, "fan-out to other instances failed", "type", ev.Type, "room_id", ev.RoomID, "err", err)
	}
}
