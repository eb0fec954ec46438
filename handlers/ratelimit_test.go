package handlers_test

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/izpochat/server/config"
)

// defaultRates are the rates a server gets with nothing configured.
func defaultRates(t *testing.T) config.RequestRates {
	t.Helper()
	env := map[string]string{"DATA_DIR": t.TempDir()}
	cfg, err := config.Load(func(k string) string { return env[k] }, "")
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Rates
}

// 50 wrong passwords for one account: refused with 429 and Retry-After once the
// account's budget is spent, in the contract's error shape; the right password
// of another account, from this address or another, still signs in.
func TestLoginGuessingIsRateLimited(t *testing.T) {
	rates := defaultRates(t)
	eachDB(t, func(t *testing.T, h *harness) {
		alice, bob := h.register("alice"), h.register("bob")
		limited := 0
		for i := 0; i < 50; i++ {
			res := h.post("/api/users/login", "", map[string]any{"email": alice.Email, "password": fmt.Sprint("guess-", i)})
			switch res.Status {
			case http.StatusUnauthorized:
				if limited > 0 {
					t.Fatalf("attempt %d: 401 after a 429: the limit let guessing go on", i+1)
				}
			case http.StatusTooManyRequests:
				res.expectError(http.StatusTooManyRequests)
				if secs, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || secs < 1 {
					t.Fatalf("attempt %d: Retry-After %q, want whole seconds", i+1, res.Header.Get("Retry-After"))
				}
				limited++
			default:
				t.Fatalf("attempt %d: status %d: %s", i+1, res.Status, res.Body)
			}
		}
		if want := 50 - rates.LoginPerAccount.Burst; limited != want {
			t.Fatalf("%d of 50 wrong passwords were refused with 429, want %d (all after the first %d)", limited, want, rates.LoginPerAccount.Burst)
		}
		// The account's budget is spent whichever address asks...
		h.send(req{Method: "POST", Path: "/api/users/login", From: "127.0.0.2",
			Body: map[string]any{"email": alice.Email, "password": alice.Password}}).expectError(http.StatusTooManyRequests)
		// ...but another account signs in, from this address or another.
		for _, from := range []string{"127.0.0.1", "127.0.0.2"} {
			h.send(req{Method: "POST", Path: "/api/users/login", From: from,
				Body: map[string]any{"email": bob.Email, "password": bob.Password}}).expect(http.StatusOK)
		}
	}, withRates(rates))
}

// Logins from one address over many accounts hit the per-IP limit; another
// address does not.
func TestLoginPerIPIsRateLimited(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		bob := h.register("bob")
		for i := 0; i < 5; i++ {
			h.post("/api/users/login", "", map[string]any{"email": fmt.Sprintf("nobody%d@example.com", i), "password": "whatever"}).
				expectError(http.StatusUnauthorized)
		}
		h.post("/api/users/login", "", map[string]any{"email": bob.Email, "password": bob.Password}).expectError(http.StatusTooManyRequests)
		if res := h.send(req{Method: "POST", Path: "/api/users/login", From: "127.0.0.2",
			Body: map[string]any{"email": bob.Email, "password": bob.Password}}); res.Status != http.StatusOK {
			t.Fatalf("login from another address: %d %s", res.Status, res.Body)
		}
	}, withRates(config.RequestRates{LoginPerIP: config.Rate{Burst: 5, Per: time.Hour}}))
}

// A registration flood from one address is refused with 429 once its budget is
// spent, before any work (the flood's passwords are too short, so only the one
// real registration costs a hash); another address is not limited.
func TestRegistrationFloodPerIPIsRateLimited(t *testing.T) {
	const budget = 5
	eachDB(t, func(t *testing.T, h *harness) {
		h.post("/api/users/register", "", map[string]any{
			"username": "first", "email": "first@example.com", "password": "secret-first"}).expect(http.StatusCreated)
		passed := 1
		for i := 0; i < 3*budget; i++ {
			res := h.post("/api/users/register", "", map[string]any{
				"username": fmt.Sprint("flood", i), "email": fmt.Sprintf("flood%d@example.com", i), "password": "x"})
			switch res.Status {
			case http.StatusBadRequest:
				passed++
			case http.StatusTooManyRequests:
				res.expectError(http.StatusTooManyRequests)
				if res.Header.Get("Retry-After") == "" {
					t.Fatal("429 without Retry-After")
				}
			default:
				t.Fatalf("register %d: %d %s", i, res.Status, res.Body)
			}
		}
		if passed != budget {
			t.Fatalf("%d registrations from one address were handled, want %d", passed, budget)
		}
		h.send(req{Method: "POST", Path: "/api/users/register", From: "127.0.0.2", Body: map[string]any{
			"username": "elsewhere", "email": "elsewhere@example.com", "password": "x"}}).expectError(http.StatusBadRequest)
	}, withRates(config.RequestRates{RegisterPerIP: config.Rate{Burst: budget, Per: time.Hour}}))
}
