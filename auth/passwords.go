package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"
)

// ErrBusy means the hashing budget stayed full for longer than the wait bound: the caller
// should answer "try again later" (503 with Retry-After), not queue for ever.
var ErrBusy = errors.New("password hashing busy")

// minCostKiB is what one hash or check is charged at least. bcrypt's own state is 4 KiB,
// but its CPU time is not free: charging 4 MiB caps concurrent bcrypts at a quarter of the
// budget in MiB (16 at the default 64), still several times what the cores run at once, so
// a burst queues briefly instead of every hash in it slowing down together.
const minCostKiB = 4 * 1024

// Passwords hashes and checks passwords within a memory budget. Every operation first takes
// its working memory (argon2id's m, scrypt's 128·n·r; at least minCostKiB) from a weighted
// semaphore of the budget, so however many requests arrive at once, hashing never holds more
// than the budget; a request that cannot get its share within the wait bound gets ErrBusy.
// A stored hash needing more than the whole budget runs alone. Safe for concurrent use.
type Passwords struct {
	budget   *semaphore.Weighted
	budgetKB int64
	wait     time.Duration
	computed atomic.Int64
}

// NewPasswords returns a Passwords spending at most memoryMB MiB on hashing at once and
// waiting at most wait for it (memoryMB <= 0: 64; wait <= 0: 5s).
func NewPasswords(memoryMB int, wait time.Duration) *Passwords {
	if memoryMB <= 0 {
		memoryMB = 64
	}
	if wait <= 0 {
		wait = 5 * time.Second
	}
	kb := int64(memoryMB) * 1024
	return &Passwords{budget: semaphore.NewWeighted(kb), budgetKB: kb, wait: wait}
}

// RetryAfter is what to tell a client turned away with ErrBusy.
func (p *Passwords) RetryAfter() time.Duration { return max(time.Second, p.wait) }

// Computed counts the hashes and checks that ran (tests prove work was skipped with it).
func (p *Passwords) Computed() int64 { return p.computed.Load() }

// Hash is HashPassword within the budget.
func (p *Passwords) Hash(ctx context.Context, password string) (string, error) {
	release, err := p.acquire(ctx, minCostKiB)
	if err != nil {
		return "", err
	}
	defer release()
	return HashPassword(password)
}

// Verify is VerifyPassword within the budget, charged what checking stored costs.
func (p *Passwords) Verify(ctx context.Context, stored, password string) (ok, needsUpgrade bool, err error) {
	release, err := p.acquire(ctx, memoryCostKiB(stored))
	if err != nil {
		return false, false, err
	}
	defer release()
	return VerifyPassword(stored, password)
}

func (p *Passwords) acquire(ctx context.Context, costKiB int64) (release func(), err error) {
	weight := min(max(costKiB, minCostKiB), p.budgetKB)
	waitCtx, cancel := context.WithTimeout(ctx, p.wait)
	defer cancel()
	if err := p.budget.Acquire(waitCtx, weight); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("password hashing: %w", ctx.Err())
		}
		return nil, ErrBusy
	}
	p.computed.Add(1)
	return func() { p.budget.Release(weight) }, nil
}

// memoryCostKiB is the working memory of checking a password against stored (0 when it
// is small or the hash is unreadable; such checks fail fast).
func memoryCostKiB(stored string) int64 {
	switch {
	case strings.HasPrefix(stored, argonPrefix):
		return argon2idMemoryKiB(stored)
	case strings.HasPrefix(stored, "scrypt"):
		return scryptMemoryKiB(stored)
	default:
		return 0 // bcrypt: 4 KiB; pbkdf2: a few hundred bytes
	}
}
