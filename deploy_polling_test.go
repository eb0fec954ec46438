package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// pendingPoll is a Socket.IO client on Engine.IO long-polling whose GET is
// waiting for the server, as a polling client's always is.
type pendingPoll struct {
	answered chan pollAnswer
}

type pollAnswer struct {
	status int
	body   string
	err    error
	at     time.Time
}

// startPendingPoll opens a polling session, connects to "/" with token, reads
// the CONNECT answer, then leaves one GET pending.
func startPendingPoll(t *testing.T, base, token string) *pendingPoll {
	t.Helper()
	url := base + "/socket.io/?EIO=4&transport=polling"
	get := func(u string) string {
		res, err := http.Get(u)
		if err != nil {
			t.Fatalf("poll: %v", err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("poll: %d %s", res.StatusCode, body)
		}
		return string(body)
	}
	var hs struct {
		Sid string `json:"sid"`
	}
	open := get(url)
	if !strings.HasPrefix(open, "0") || json.Unmarshal([]byte(open[1:]), &hs) != nil || hs.Sid == "" {
		t.Fatalf("polling open = %q", open)
	}
	url += "&sid=" + hs.Sid
	auth, _ := json.Marshal(map[string]string{"token": token})
	res, err := http.Post(url, "text/plain;charset=UTF-8", strings.NewReader("40"+string(auth)))
	if err != nil {
		t.Fatalf("polling connect: %v", err)
	}
	res.Body.Close()
	for deadline := time.Now().Add(5 * time.Second); ; {
		if body := get(url); strings.Contains(body, "40{") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("polling client got no CONNECT answer")
		}
	}
	p := &pendingPoll{answered: make(chan pollAnswer, 1)}
	go func() {
		res, err := http.Get(url)
		a := pollAnswer{err: err}
		if err == nil {
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			a.status, a.body = res.StatusCode, string(body)
		}
		a.at = time.Now()
		p.answered <- a
	}()
	return p
}
