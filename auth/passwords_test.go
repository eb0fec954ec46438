package auth

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// Every kind of stored hash verifies through Passwords, charged its memory.
func TestPasswordsVerifiesEveryStoredFormat(t *testing.T) {
	p := NewPasswords(64, time.Second)
	bcryptHash, _ := HashPassword("short pw")
	prehashed, _ := HashPassword(string(make([]byte, 100)) + "long")
	cases := []struct {
		name, stored, password string
		costKiB                int64
	}{
		{"bcrypt", bcryptHash, "short pw", 0},
		{"bcrypt over hmac-sha256", prehashed, string(make([]byte, 100)) + "long", 0},
		{"argon2id", "$argon2id$v=19$m=19456,t=2,p=1$hehFss/mcTHhgwINsrvjvA$yRB8GIkj2LFJt3hmQPWY10T0PyHi3ZPJgjdz/dee7+g",
			"an old argon2id password that is longer than bcrypt's seventy-two bytes, really", 19456},
		{"werkzeug pbkdf2", "pbkdf2:sha256:1000$edKY7Y0SOXuDruvs$a069972bc09998c4dc529ff8d39efb320a41d1159807ac301d5462a30a4752ef",
			"pässwörd ✓", 0},
		// 128·n·r = 32 MiB for V, plus 128·r·p = 1 KiB for B.
		{"werkzeug scrypt", "scrypt:32768:8:1$AfvGGdVWO2aXIl0e$4ae47e09e04bd6151c5e56b8d2656097c236de0d6a55e7c1621114eb71285c302c80b89b048a4430c2a1492ba40c6a37bd0c8a94a767bc3266f9732e09228093",
			horse, 32769},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := memoryCostKiB(tc.stored); got != tc.costKiB {
				t.Errorf("cost = %d KiB, want %d", got, tc.costKiB)
			}
			before := p.Computed()
			ok, _, err := p.Verify(context.Background(), tc.stored, tc.password)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if !ok {
				t.Fatal("the right password did not verify")
			}
			if p.Computed() != before+1 {
				t.Errorf("Computed moved %d, want 1", p.Computed()-before)
			}
		})
	}
}

// A full budget turns callers away after the wait bound, with ErrBusy; they never queue
// beyond it, and a hash needing more than the budget runs alone instead of never.
func TestPasswordsBudgetIsBounded(t *testing.T) {
	p := NewPasswords(4, 50*time.Millisecond)
	release, err := p.acquire(context.Background(), p.budgetKB)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := p.Hash(context.Background(), "secret1"); !errors.Is(err, ErrBusy) {
		t.Fatalf("Hash with the budget full = %v, want ErrBusy", err)
	}
	if waited := time.Since(start); waited < 40*time.Millisecond || waited > 2*time.Second {
		t.Fatalf("waited %v, want about the 50ms bound", waited)
	}
	if p.RetryAfter() < time.Second {
		t.Fatalf("RetryAfter = %v", p.RetryAfter())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := p.Verify(ctx, "$2a$10$x", "pw"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Verify with a cancelled request = %v, want context.Canceled", err)
	}
	release()

	// 19 MiB argon2id with a 4 MiB budget: charged the whole budget, so it runs, alone.
	const stored = "$argon2id$v=19$m=19456,t=2,p=1$hehFss/mcTHhgwINsrvjvA$yRB8GIkj2LFJt3hmQPWY10T0PyHi3ZPJgjdz/dee7+g"
	var wg sync.WaitGroup
	results := make([]error, 3)
	for i := range results {
		wg.Go(func() {
			_, _, results[i] = NewPasswords(4, 10*time.Second).Verify(context.Background(), stored, "x")
		})
	}
	wg.Wait()
	for _, err := range results {
		if err != nil {
			t.Fatalf("Verify of a hash larger than the budget: %v", err)
		}
	}
}
