package cluster

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/izpochat/server/chat"
)

var (
	ann = chat.UserRef{ID: 1, Username: "ann", FullName: "Ann A"}
	bob = chat.UserRef{ID: 2, Username: "bob"}
	cid = chat.UserRef{ID: 3, Username: "cid"}
)

func newPresence(t *testing.T, url, instance, prefix string, ttl time.Duration) (*Presence, context.CancelFunc) {
	t.Helper()
	p := NewPresence(clientFor(t, url), instance, PresenceOptions{
		KeyPrefix: prefix, TTL: ttl, Heartbeat: ttl / 5, OpTimeout: 300 * time.Millisecond, Logger: testLogger(t),
	})
	ctx, cancel := context.WithCancel(context.Background())
	p.Start(ctx)
	t.Cleanup(func() { cancel(); _ = p.Close() })
	return p, cancel
}

func mustEnter(t *testing.T, p *Presence, room int64, u chat.UserRef, conn string, wantFirst bool) {
	t.Helper()
	first, err := p.Enter(context.Background(), room, u, conn)
	if err != nil {
		t.Fatalf("enter %s %s: %v", u.Username, conn, err)
	}
	if first != wantFirst {
		t.Fatalf("enter %s via %s: first = %v, want %v", u.Username, conn, first, wantFirst)
	}
}

func mustLeave(t *testing.T, p *Presence, room int64, u chat.UserRef, conn string, wantLast bool) {
	t.Helper()
	last, err := p.Leave(context.Background(), room, u.ID, conn)
	if err != nil {
		t.Fatalf("leave %s %s: %v", u.Username, conn, err)
	}
	if last != wantLast {
		t.Fatalf("leave %s via %s: last = %v, want %v", u.Username, conn, last, wantLast)
	}
}

func online(t *testing.T, p *Presence, room int64) []chat.UserRef {
	t.Helper()
	us, err := p.Online(context.Background(), room)
	if err != nil {
		t.Fatalf("online: %v", err)
	}
	return us
}

func wantOnline(t *testing.T, p *Presence, room int64, want ...chat.UserRef) {
	t.Helper()
	if want == nil {
		want = []chat.UserRef{}
	}
	if got := online(t, p, room); !reflect.DeepEqual(got, want) {
		t.Fatalf("online in room %d = %+v, want %+v", room, got, want)
	}
}

func TestPresenceFirstAndLastAcrossInstancesAndTabs(t *testing.T) {
	prefix := uniq(t) + ":"
	a, _ := newPresence(t, sharedRedisURL, "a", prefix, 5*time.Second)
	b, _ := newPresence(t, sharedRedisURL, "b", prefix, 5*time.Second)

	mustEnter(t, a, 10, ann, "a1", true)
	mustEnter(t, a, 10, ann, "a2", false) // second tab, same instance
	mustEnter(t, b, 10, ann, "b1", false) // third tab, other instance
	mustEnter(t, b, 10, bob, "b2", true)
	mustEnter(t, b, 11, ann, "b3", true) // another room is another story
	wantOnline(t, a, 10, ann, bob)
	wantOnline(t, b, 10, ann, bob)

	mustLeave(t, a, 10, ann, "a1", false)
	mustLeave(t, b, 10, ann, "b1", false)
	mustLeave(t, a, 10, ann, "a2", true) // her last tab anywhere
	wantOnline(t, a, 10, bob)
	wantOnline(t, b, 11, ann)

	// Re-entering after leaving is a first again; a repeated enter of the same
	// connection is not.
	mustEnter(t, b, 10, ann, "b4", true)
	mustEnter(t, b, 10, ann, "b4", false)
}

func TestPresenceLeaveOfUnknownConnection(t *testing.T) {
	prefix := uniq(t) + ":"
	a, _ := newPresence(t, sharedRedisURL, "a", prefix, 5*time.Second)
	mustLeave(t, a, 10, ann, "never-entered", false)
	mustEnter(t, a, 10, ann, "a1", true)
	mustLeave(t, a, 10, bob, "a1", false) // wrong user for that connection
	wantOnline(t, a, 10, ann)
	mustLeave(t, a, 10, ann, "a1", true)
	mustLeave(t, a, 10, ann, "a1", false) // twice
	wantOnline(t, a, 10)
}

func TestPresenceCrashedInstanceExpires(t *testing.T) {
	prefix := uniq(t) + ":"
	const ttl = time.Second
	a, _ := newPresence(t, sharedRedisURL, "a", prefix, ttl)
	c, crash := newPresence(t, sharedRedisURL, "c", prefix, ttl)
	mustEnter(t, a, 10, ann, "a1", true)
	mustEnter(t, c, 10, bob, "c1", true)
	mustEnter(t, c, 10, ann, "c2", false)
	wantOnline(t, a, 10, ann, bob)

	crash() // heartbeat stops; no goodbye
	eventually(t, 3*ttl, "the crashed instance's users to vanish", func() bool {
		return reflect.DeepEqual(online(t, a, 10), []chat.UserRef{ann})
	})
	// bob comes back on a live instance: that is a first again.
	mustEnter(t, a, 10, bob, "a3", true)
	// ann's last live tab is on a; her dead tab on c does not keep her online.
	mustLeave(t, a, 10, ann, "a1", true)
	wantOnline(t, a, 10, bob)
}

func TestPresenceCloseRemovesUsersAtOnce(t *testing.T) {
	prefix := uniq(t) + ":"
	a, _ := newPresence(t, sharedRedisURL, "a", prefix, 30*time.Second)
	b, _ := newPresence(t, sharedRedisURL, "b", prefix, 30*time.Second)
	mustEnter(t, b, 10, bob, "b1", true)
	wantOnline(t, a, 10, bob)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	wantOnline(t, a, 10)
}

func TestPresenceFallsBackToLocalWhenRedisIsDown(t *testing.T) {
	url := fmt.Sprintf("redis://127.0.0.1:%d/0", freePort(t))
	a, _ := newPresence(t, url, "a", uniq(t)+":", 5*time.Second)
	start := time.Now()
	mustEnter(t, a, 10, ann, "a1", true)
	mustEnter(t, a, 10, ann, "a2", false)
	mustEnter(t, a, 10, bob, "a3", true)
	wantOnline(t, a, 10, ann, bob)
	mustLeave(t, a, 10, ann, "a1", false)
	mustLeave(t, a, 10, ann, "a2", true)
	wantOnline(t, a, 10, bob)
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("presence with Redis down took %s; it must degrade, not wait", d)
	}
}

func TestPresenceRecoversAfterRedisRestart(t *testing.T) {
	r := startPrivateRedis(t)
	prefix := uniq(t) + ":"
	a, _ := newPresence(t, r.URL(), "a", prefix, 2*time.Second)
	b, _ := newPresence(t, r.URL(), "b", prefix, 2*time.Second)
	mustEnter(t, a, 10, ann, "a1", true)
	mustEnter(t, b, 10, bob, "b1", true)
	mustEnter(t, b, 10, cid, "b2", true)
	wantOnline(t, a, 10, ann, bob, cid)

	r.Stop()
	// Down: each instance answers with its own users and keeps accepting changes.
	mustLeave(t, b, 10, cid, "b2", true)
	wantOnline(t, b, 10, bob)
	wantOnline(t, a, 10, ann)

	r.Start() // empty: --save ""
	eventually(t, 10*time.Second, "both instances registered again", func() bool {
		return reflect.DeepEqual(online(t, a, 10), []chat.UserRef{ann, bob})
	})
	wantOnline(t, b, 10, ann, bob)
}

func TestPresenceRetiresEntriesMissedDuringOutage(t *testing.T) {
	// Redis stays up but this instance cannot reach it for a while (its breaker
	// opens); a leave it missed must not leave a ghost behind.
	prefix := uniq(t) + ":"
	a, _ := newPresence(t, sharedRedisURL, "a", prefix, 2*time.Second)
	b, _ := newPresence(t, sharedRedisURL, "b", prefix, 2*time.Second)
	mustEnter(t, b, 10, bob, "b1", true)
	mustEnter(t, b, 10, cid, "b2", true)
	b.health.record(fmt.Errorf("simulated outage"))
	mustLeave(t, b, 10, cid, "b2", true) // Redis never heard of this
	// (Stale on a until b's next heartbeat, which may come at any moment, so
	// only the outcome is asserted.)
	eventually(t, 5*time.Second, "b to re-register without the ghost", func() bool {
		return reflect.DeepEqual(online(t, a, 10), []chat.UserRef{bob})
	})
}
