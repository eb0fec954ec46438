package auth

import (
	"errors"
	"testing"
	"time"
)

// A token remembered as verified still expires, and a tampered copy of it is
// checked afresh.
func TestVerifiedTokenStillExpires(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	tk := NewTokens([]byte("verified-secret"), time.Minute)
	tk.now = func() time.Time { return now }
	token, err := tk.Issue(7, "ann")
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // parsed, then remembered
		if c, err := tk.Parse(token); err != nil || c.UserID != 7 {
			t.Fatalf("fresh token: %+v %v", c, err)
		}
	}
	if len(tk.verified.claims) != 1 {
		t.Fatalf("%d tokens remembered", len(tk.verified.claims))
	}
	if _, err := tk.Parse(token[:len(token)-2] + "xx"); !errors.Is(err, ErrTokenInvalid) {
		t.Fatalf("tampered token: %v", err)
	}
	now = now.Add(time.Minute + tokenLeeway)
	if _, err := tk.Parse(token); !errors.Is(err, ErrTokenExpired) {
		t.Fatalf("expired remembered token: %v", err)
	}
	if len(tk.verified.claims) != 0 {
		t.Fatal("expired token still remembered")
	}
	// The memory is bounded.
	now = time.Unix(1_700_000_000, 0)
	for i := range maxVerifiedTokens + 5 {
		tok, _ := tk.Issue(int64(i+1), "u")
		if _, err := tk.Parse(tok); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(tk.verified.claims); n > maxVerifiedTokens {
		t.Fatalf("%d tokens remembered, bound %d", n, maxVerifiedTokens)
	}
}
