package handlers_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// heapPeak samples the live heap (runtime/metrics) every millisecond while fn runs and
// returns how far its peak rose above the heap before.
func heapPeak(t *testing.T, fn func()) (growth uint64) {
	t.Helper()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	runtime.GC()
	base := read()
	var peak atomic.Uint64
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			if v := read(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	fn()
	close(stop)
	<-stopped
	if p := peak.Load(); p > base {
		return p - base
	}
	return 0
}

// storm sends n requests at once (one goroutine each) and returns their answers.
func storm(h *harness, n int, build func(i int) (path string, body any)) []response {
	answers := make([]response, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			path, body := build(i)
			raw, _ := json.Marshal(body)
			<-start
			res, err := http.Post(h.srv.URL+path, "application/json", bytes.NewReader(raw))
			if err != nil {
				answers[i] = response{Status: -1, Body: []byte(err.Error())}
				return
			}
			out, _ := io.ReadAll(res.Body)
			res.Body.Close()
			answers[i] = response{t: h.t, method: "POST", path: path, Status: res.StatusCode, Header: res.Header, Body: out}
		})
	}
	close(start)
	wg.Wait()
	return answers
}

// checkStormAnswers: each answer is the success status or a 503 in the contract's shape
// with a Retry-After; it returns how many were turned away.
func checkStormAnswers(t *testing.T, answers []response, ok int) (busy int) {
	t.Helper()
	for _, r := range answers {
		switch r.Status {
		case ok:
		case http.StatusServiceUnavailable:
			busy++
			r.expectError(http.StatusServiceUnavailable)
			if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || s < 1 {
				t.Fatalf("503 without a Retry-After in seconds: %q", r.Header.Get("Retry-After"))
			}
		default:
			t.Fatalf("answer %d: %s", r.Status, r.Body)
		}
	}
	if busy == len(answers) {
		t.Fatal("every request was turned away")
	}
	return busy
}

const heapBound = 400 << 20

// 100 registrations at once with 100-character passwords: before, each was an argon2id
// hash of 19 MiB, all at once (+1.9 GiB). Now they stay far under +400 MiB.
func TestLongPasswordRegistrationStormIsBounded(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		var answers []response
		growth := heapPeak(t, func() {
			answers = storm(h, 100, func(i int) (string, any) {
				return "/api/users/register", map[string]any{"username": fmt.Sprintf("storm%03d", i),
					"email": fmt.Sprintf("storm%03d@example.com", i), "password": strings.Repeat("p", 99) + strconv.Itoa(i%10)}
			})
		})
		busy := checkStormAnswers(t, answers, http.StatusCreated)
		t.Logf("heap peak +%d MiB, %d of 100 turned away", growth>>20, busy)
		if growth > heapBound {
			t.Fatalf("100 long-password registrations grew the heap by %d MiB, want < %d", growth>>20, heapBound>>20)
		}
		if busy == 0 {
			t.Fatal("no registration was turned away: the 500 ms wait bound was not applied")
		}
		// A small budget (two bcrypts at once) keeps the test short; the default 64 MiB
		// differs only in how many run at once.
	}, withPasswordBudget(8, 500*time.Millisecond))
}

// 100 logins at once against accounts whose stored hashes are the old 19 MiB argon2id:
// the budget (64 MiB: three at a time) holds the heap, and those that cannot get a share
// within the wait bound get 503 + Retry-After instead of queueing.
func TestStoredArgon2idLoginStormIsBounded(t *testing.T) {
	const password = "an old argon2id password that is longer than bcrypt's seventy-two bytes, really"
	const stored = "$argon2id$v=19$m=19456,t=2,p=1$hehFss/mcTHhgwINsrvjvA$yRB8GIkj2LFJt3hmQPWY10T0PyHi3ZPJgjdz/dee7+g"
	eachDB(t, func(t *testing.T, h *harness) {
		for i := range 10 {
			u := h.register(fmt.Sprintf("old%02d", i))
			if err := h.db.Exec("UPDATE users SET password_hash = ? WHERE id = ?", stored, u.ID).Error; err != nil {
				t.Fatal(err)
			}
		}
		var answers []response
		growth := heapPeak(t, func() {
			answers = storm(h, 100, func(i int) (string, any) {
				return "/api/users/login", map[string]any{"username": fmt.Sprintf("old%02d", i%10), "password": password}
			})
		})
		busy := checkStormAnswers(t, answers, http.StatusOK)
		t.Logf("heap peak +%d MiB, %d of 100 turned away", growth>>20, busy)
		if growth > heapBound {
			t.Fatalf("100 argon2id logins grew the heap by %d MiB, want < %d", growth>>20, heapBound>>20)
		}
		if busy == 0 {
			t.Fatal("no login was turned away: the 300 ms wait bound was not applied")
		}
	}, withPasswordBudget(64, 300*time.Millisecond))
}

// PUT /api/users/me: password or email changes need current_password (missing 400, wrong
// 403); the other fields and the unchanged email do not.
func TestUpdateMeNeedsCurrentPasswordForCredentials(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		ivy := h.registerViaAPI("ivy")
		h.put("/api/users/me", ivy.Token, map[string]any{"password": "new-secret"}).expectError(http.StatusBadRequest)
		h.put("/api/users/me", ivy.Token, map[string]any{"password": "new-secret", "current_password": "wrong-one"}).
			expectError(http.StatusForbidden)
		h.put("/api/users/me", ivy.Token, map[string]any{"email": "ivy2@example.com"}).expectError(http.StatusBadRequest)
		h.put("/api/users/me", ivy.Token, map[string]any{"email": "ivy2@example.com", "current_password": "wrong-one"}).
			expectError(http.StatusForbidden)
		h.post("/api/users/login", "", map[string]any{"username": "ivy", "password": ivy.Password}).expect(http.StatusOK)
		// What the Angular profile form sends: no credentials change, no password needed.
		upd := h.put("/api/users/me", ivy.Token, map[string]any{"username": "ivy", "email": ivy.Email, "full_name": "Ivy I"}).
			expect(http.StatusOK).obj()
		if upd["full_name"] != "Ivy I" || upd["access_token"] != nil {
			t.Fatalf("profile update = %v", upd)
		}
		h.put("/api/users/me", ivy.Token, map[string]any{"email": "ivy2@example.com", "current_password": ivy.Password}).
			expect(http.StatusOK)
	})
}

// After a password change every older token answers 401 on REST, this server's and
// Flask-JWT-Extended's alike; the token in the answer works.
func TestPasswordChangeEndsOlderTokensOnREST(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		jay := h.registerViaAPI("jay")
		now := time.Now()
		flask, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": jay.ID, "type": "access", "fresh": false,
			"jti": "f", "iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix()}).SignedString(testSecret)
		if err != nil {
			t.Fatal(err)
		}
		h.get("/api/users/me", flask).expect(http.StatusOK)
		changed := h.put("/api/users/me", jay.Token, map[string]any{"password": "new-secret", "current_password": jay.Password}).
			expect(http.StatusOK).obj()
		for _, old := range []string{jay.Token, flask} {
			h.get("/api/users/me", old).expectError(http.StatusUnauthorized)
			h.get("/api/rooms", old).expectError(http.StatusUnauthorized) // a bad optional token is 401 too
		}
		h.get("/api/users/me", changed["access_token"].(string)).expect(http.StatusOK)
	})
}

// Case@X.test and case@x.TEST are one email: the second registration is 409, and login by
// email ignores case.
func TestEmailCaseVariantRegistrationIsConflict(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		h.post("/api/users/register", "", map[string]any{"username": "kim", "email": "Case@X.test", "password": "secret1"}).
			expect(http.StatusCreated)
		msg := h.post("/api/users/register", "", map[string]any{"username": "kim2", "email": "case@x.TEST", "password": "secret1"}).
			expectError(http.StatusConflict)
		if !strings.Contains(msg["error"].(string), "email") {
			t.Fatalf("conflict = %v", msg)
		}
		h.post("/api/users/login", "", map[string]any{"email": "CASE@x.test", "password": "secret1"}).expect(http.StatusOK)
	})
}
