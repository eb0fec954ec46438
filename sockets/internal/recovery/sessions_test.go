package recovery

import (
	"strconv"
	"testing"
	"time"

	"github.com/zishang520/socket.io/v2/socket"
)

func TestKeptSessionsExpireInOrderOnly(t *testing.T) {
	k := newKeptSessions()
	t0 := time.Unix(1000, 0)
	session := func(pid string) *socket.SessionToPersist {
		return &socket.SessionToPersist{Pid: socket.PrivateSessionId(pid)}
	}
	k.keep(session("a"), t0)
	k.keep(session("b"), t0.Add(time.Second))
	k.keep(session("c"), t0.Add(2*time.Second))
	// "a" is restored, then kept again later: its first keeping must not expire it.
	if _, ok := k.take("a"); !ok {
		t.Fatal("a not kept")
	}
	k.keep(session("a"), t0.Add(3*time.Second))

	k.dropExpired(t0.Add(2500*time.Millisecond), 1200*time.Millisecond) // b (1.5 s old) expires, c (0.5 s) stays
	if _, ok := k.byPid["b"]; ok {
		t.Error("b outlived its window")
	}
	for _, pid := range []socket.PrivateSessionId{"a", "c"} {
		if _, ok := k.byPid[pid]; !ok {
			t.Errorf("%s dropped before its window", pid)
		}
	}
	if k.len() != 2 {
		t.Fatalf("%d kept, want 2", k.len())
	}
	// What is left to look at is only the entries not yet expired.
	if live := len(k.order) - k.head; live != 2 {
		t.Fatalf("%d entries left to expire, want 2 (c, a)", live)
	}
	k.dropExpired(t0.Add(time.Hour), time.Second)
	if k.len() != 0 || len(k.order) != 0 || k.head != 0 {
		t.Fatalf("after everything expired: %d kept, %d entries, head %d", k.len(), len(k.order), k.head)
	}
	if _, ok := k.take("a"); ok {
		t.Fatal("an expired session was restored")
	}
}

// Dropping expired sessions costs what expired, not what is kept: a storm of
// disconnects each keeping a session stays linear.
func TestKeepingManySessionsIsLinear(t *testing.T) {
	k := newKeptSessions()
	now := time.Unix(1000, 0)
	const n = 200_000
	start := time.Now()
	for i := range n {
		k.dropExpired(now, 2*time.Minute)
		k.keep(&socket.SessionToPersist{Pid: socket.PrivateSessionId(strconv.Itoa(i))}, now)
	}
	if k.len() != n {
		t.Fatalf("%d kept, want %d", k.len(), n)
	}
	// A scan of every kept session per keep would be 2·10^10 steps: minutes.
	if took := time.Since(start); took > 20*time.Second {
		t.Fatalf("keeping %d sessions took %v", n, took)
	}
}
