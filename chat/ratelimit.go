package chat

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// Rule is a rate limit: Burst events at once, refilled evenly over Per (so
// Burst/Per is the sustained rate). A zero Rule limits nothing.
type Rule struct {
	Burst int
	Per   time.Duration
}

// Off reports a rule that limits nothing.
func (r Rule) Off() bool { return r.Burst <= 0 || r.Per <= 0 }

// Interval is the time one event's allowance takes to come back.
func (r Rule) Interval() time.Duration { return r.Per / time.Duration(r.Burst) }

// Limiter spends one event of key under rule. Allowed is false when the key has
// used its allowance; RetryAfter then says when the next event will be allowed.
// Implementations are safe for concurrent use. The in-process one is
// LocalLimiter; cluster.RateLimiter shares the limit between instances.
type Limiter interface {
	Allow(ctx context.Context, key string, rule Rule) Decision
}

// Decision is a Limiter's answer.
type Decision struct {
	Allowed    bool
	RetryAfter time.Duration
}

// RateLimits are the limits on what a client may make the server do. Zero rules
// limit nothing.
type RateLimits struct {
	LoginPerIP         Rule
	LoginPerAccount    Rule // by the email or username given
	RegisterPerIP      Rule
	RegisterPerAccount Rule // by the username and the email given
	PostPerUser        Rule // messages, through every door together
	UploadPerUser      Rule // upload requests
	SearchPerUser      Rule // message searches
	ConnectPerIP       Rule // new Socket.IO sessions and raw WebSocket connections
}

// Key namespaces, one per rule: the same IP or user is limited separately for
// each thing it does.
const (
	keyLoginIP         = "login:ip:"
	keyLoginAccount    = "login:account:"
	keyRegisterIP      = "register:ip:"
	keyRegisterAccount = "register:account:"
	keyPostUser        = "post:user:"
	keyUploadUser      = "upload:user:"
	keySearchUser      = "search:user:"
	keyConnectIP       = "connect:ip:"
)

// rateLimitedMessage is what a refused client reads, on every door.
const rateLimitedMessage = "too many requests: slow down"

// limit spends one event of key under rule; a refusal is a KindRateLimited
// error carrying when to retry.
func (s *Service) limit(ctx context.Context, rule Rule, key string) error {
	if rule.Off() {
		return nil
	}
	d := s.limiter.Allow(ctx, key, rule)
	if d.Allowed {
		return nil
	}
	retry := d.RetryAfter
	if retry <= 0 {
		retry = rule.Interval()
	}
	return &Error{Kind: KindRateLimited, Message: rateLimitedMessage, RetryAfter: retry}
}

// accountKey names an account by what the client typed, case-folded and hashed:
// a fixed length whatever was sent, and no addresses in Redis.
func accountKey(id string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(id))))
	return hex.EncodeToString(sum[:16])
}

// limitLogin charges a login attempt to the client's IP and to the account.
func (s *Service) limitLogin(ctx context.Context, in LoginInput) error {
	if err := s.limitIP(ctx, s.rates.LoginPerIP, keyLoginIP, in.ClientIP); err != nil {
		return err
	}
	account := in.Email
	if account == "" {
		account = in.Username
	}
	return s.limit(ctx, s.rates.LoginPerAccount, keyLoginAccount+accountKey(account))
}

// limitRegister charges a registration to the client's IP, the username and the email.
func (s *Service) limitRegister(ctx context.Context, in RegisterInput) error {
	if err := s.limitIP(ctx, s.rates.RegisterPerIP, keyRegisterIP, in.ClientIP); err != nil {
		return err
	}
	if err := s.limit(ctx, s.rates.RegisterPerAccount, keyRegisterAccount+"u:"+accountKey(in.Username)); err != nil {
		return err
	}
	return s.limit(ctx, s.rates.RegisterPerAccount, keyRegisterAccount+"e:"+accountKey(in.Email))
}

// limitIP charges ip; a caller that knows no IP (a test, an internal call) is
// not limited by IP.
func (s *Service) limitIP(ctx context.Context, rule Rule, prefix, ip string) error {
	if ip == "" {
		return nil
	}
	return s.limit(ctx, rule, prefix+ip)
}

// limitPost charges one message to its author, whichever door it came through.
func (s *Service) limitPost(ctx context.Context, a Actor) error {
	return s.limit(ctx, s.rates.PostPerUser, keyPostUser+strconv.FormatInt(a.ID, 10))
}

// AdmitConnection charges a new real-time connection (a Socket.IO session or a
// raw WebSocket) to the client's IP, before any work is done for it.
func (s *Service) AdmitConnection(ctx context.Context, ip string) error {
	return s.limitIP(ctx, s.rates.ConnectPerIP, keyConnectIP, ip)
}
