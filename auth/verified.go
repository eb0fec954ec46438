package auth

import (
	"sync"
	"time"
)

// verifiedTokens remembers the claims of tokens that passed Parse, so a client
// that sends the same token with every request (a poll every few seconds)
// costs a map read instead of a signature check and a JSON decode (most of a
// 304's cost once nothing else is read). What it returns is what Parse found:
// the signature of a string under one secret never changes; only time does,
// and the expiry is checked on every read.
type verifiedTokens struct {
	max int

	mu     sync.Mutex
	claims map[string]Claims
}

const maxVerifiedTokens = 20_000

func (v *verifiedTokens) get(token string, now time.Time) (Claims, bool, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	c, ok := v.claims[token]
	if !ok {
		return Claims{}, false, nil
	}
	if !now.Before(c.ExpiresAt.Add(tokenLeeway)) {
		delete(v.claims, token)
		return Claims{}, true, ErrTokenExpired
	}
	return c, true, nil
}

func (v *verifiedTokens) put(token string, c Claims) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.claims == nil || len(v.claims) >= v.max {
		// Whole-sale: the tokens in use come back at their next request.
		v.claims = make(map[string]Claims, 64)
	}
	v.claims[token] = c
}
