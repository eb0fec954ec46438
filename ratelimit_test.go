package main

import (
	"fmt"
	"net/http"

	"github.com/izpochat/server/internal/testkit"
	"testing"
)

// generousRateLimits lift the per-IP and per-user rate limits for tests whose
// clients all come from 127.0.0.1 and act far faster than people.
var generousRateLimits = map[string]string{
	"LOGIN_RATE_PER_IP": "1000000/1s", "LOGIN_RATE_PER_ACCOUNT": "1000000/1s",
	"REGISTER_RATE_PER_IP": "1000000/1s", "REGISTER_RATE_PER_ACCOUNT": "1000000/1s",
	"POST_RATE_PER_USER": "1000000/1s", "UPLOAD_RATE_PER_USER": "1000000/1s", "CONNECT_RATE_PER_IP": "1000000/1s",
}

// Two instances on one Redis share the limits: guessing a password through
// both gets no more attempts than through one. With their own databases the
// account exists on neither, which makes no difference: the budget is spent
// before the account is looked up.
func TestInstancesSharingRedisShareRateLimits(t *testing.T) {
	rds := testkit.StartRedis(t) // skips where redis-server is not installed
	env := func() map[string]string {
		return map[string]string{"REDIS_URL": rds.URL(), "LOGIN_RATE_PER_ACCOUNT": "6/1h", "JWT_SECRET_KEY": "shared-limit-secret"}
	}
	a, stopA, _ := startRun(t, env())
	defer stopA()
	b, stopB, _ := startRun(t, env())
	defer stopB()

	statuses := map[int]int{}
	for i := 0; i < 10; i++ {
		base := a
		if i%2 == 1 {
			base = b
		}
		status, body := postJSON(t, base+"/api/users/login", "", map[string]string{"email": "victim@example.com", "password": fmt.Sprint("guess-", i)})
		if status == http.StatusTooManyRequests && body["error"] == nil {
			t.Fatalf("429 without the contract's error body: %v", body)
		}
		statuses[status]++
	}
	if statuses[http.StatusUnauthorized] != 6 || statuses[http.StatusTooManyRequests] != 4 {
		t.Fatalf("10 guesses over two instances: %v, want 6 × 401 then 4 × 429 (one shared budget of 6)", statuses)
	}
}
