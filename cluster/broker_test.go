package cluster

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/izpochat/server/chat"
)

// recorder counts events per listener by a key unique per published event.
type recorder struct {
	mu   sync.Mutex
	seen map[string]int
}

func newRecorder() *recorder { return &recorder{seen: map[string]int{}} }

func (r *recorder) listen(ev chat.Event) {
	r.mu.Lock()
	r.seen[fmt.Sprintf("%s/%d/%d", ev.Origin, ev.RoomID, ev.User.ID)]++
	r.mu.Unlock()
}

func (r *recorder) snapshot() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]int, len(r.seen))
	for k, v := range r.seen {
		out[k] = v
	}
	return out
}

type instance struct {
	hub    *chat.Hub
	broker *Broker
}

func newInstance(t *testing.T, ctx context.Context, url, origin, channel string) instance {
	t.Helper()
	rdb := clientFor(t, url)
	b := NewBroker(rdb, origin, BrokerOptions{Channel: channel, PublishTimeout: 300 * time.Millisecond, Logger: testLogger(t)})
	hub := chat.NewHub(origin, b)
	if err := hub.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return instance{hub: hub, broker: b}
}

func publishN(t *testing.T, in instance, n int, room int64) {
	t.Helper()
	for i := 1; i <= n; i++ {
		ev := chat.Event{Type: chat.EventMessage, RoomID: room, User: chat.UserRef{ID: int64(i)}}
		if err := in.hub.Publish(context.Background(), ev); err != nil {
			t.Fatalf("publish: %v", err)
		}
	}
}

func TestBrokerEveryListenerGetsEveryEventOnce(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	channel := uniq(t)
	a := newInstance(t, ctx, sharedRedisURL, "a", channel)
	b := newInstance(t, ctx, sharedRedisURL, "b", channel)
	waitSubscribers(t, sharedRedis(t), channel, 2)

	recs := []*recorder{newRecorder(), newRecorder(), newRecorder()}
	a.hub.Listen(recs[0].listen)
	a.hub.Listen(recs[1].listen) // a second door on A
	b.hub.Listen(recs[2].listen)

	const n = 25
	publishN(t, a, n, 1)
	publishN(t, b, n, 2)

	for i, r := range recs {
		eventually(t, 5*time.Second, fmt.Sprintf("listener %d gets %d events", i, 2*n), func() bool {
			return len(r.snapshot()) == 2*n
		})
	}
	time.Sleep(200 * time.Millisecond) // room for duplicates to show up
	for i, r := range recs {
		for k, c := range r.snapshot() {
			if c != 1 {
				t.Errorf("listener %d got %s %d times, want once", i, k, c)
			}
		}
	}
}

func TestBrokerIgnoresMalformedPayload(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	channel := uniq(t)
	a := newInstance(t, ctx, sharedRedisURL, "a", channel)
	rec := newRecorder()
	a.hub.Listen(rec.listen)
	rdb := sharedRedis(t)
	waitSubscribers(t, rdb, channel, 1)
	if err := rdb.Publish(ctx, channel, "{not json").Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.Publish(ctx, channel, `{"type":"message","room_id":9,"user":{"id":1},"origin":"z"}`).Err(); err != nil {
		t.Fatal(err)
	}
	eventually(t, 3*time.Second, "the valid event after the malformed one", func() bool {
		return rec.snapshot()["z/9/1"] == 1
	})
	if got := len(rec.snapshot()); got != 1 {
		t.Fatalf("got %d distinct events, want 1 (the malformed one dropped)", got)
	}
}

func TestBrokerPublishDoesNotBlockWhenRedisIsDown(t *testing.T) {
	url := fmt.Sprintf("redis://127.0.0.1:%d/0", freePort(t)) // nothing listens there
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a := newInstance(t, ctx, url, "a", uniq(t))
	rec := newRecorder()
	a.hub.Listen(rec.listen)

	start := time.Now()
	err := a.hub.Publish(ctx, chat.Event{Type: chat.EventMessage, RoomID: 1, User: chat.UserRef{ID: 1}})
	if err == nil {
		t.Fatal("publish with Redis down returned no error; the domain could not log it")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("publish blocked %s with Redis down", d)
	}
	start = time.Now()
	if err := a.hub.Publish(ctx, chat.Event{Type: chat.EventMessage, RoomID: 1, User: chat.UserRef{ID: 2}}); err == nil {
		t.Fatal("second publish returned no error")
	}
	if d := time.Since(start); d > 50*time.Millisecond {
		t.Fatalf("second publish took %s; it should fail fast while Redis is known down", d)
	}
	if got := len(rec.snapshot()); got != 2 {
		t.Fatalf("local listener got %d events, want 2 (local delivery never depends on Redis)", got)
	}
}

func TestBrokerSurvivesRedisRestart(t *testing.T) {
	r := startPrivateRedis(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	channel := uniq(t)
	a := newInstance(t, ctx, r.URL(), "a", channel)
	b := newInstance(t, ctx, r.URL(), "b", channel)
	probe := clientFor(t, r.URL())
	waitSubscribers(t, probe, channel, 2)
	recB := newRecorder()
	b.hub.Listen(recB.listen)

	publishN(t, a, 5, 1)
	eventually(t, 3*time.Second, "events before the restart", func() bool { return len(recB.snapshot()) == 5 })

	r.Stop()
	// While Redis is down A keeps serving its own listeners and never blocks.
	recA := newRecorder()
	a.hub.Listen(recA.listen)
	start := time.Now()
	for i := 0; i < 20; i++ {
		_ = a.hub.Publish(ctx, chat.Event{Type: chat.EventTyping, RoomID: 7, User: chat.UserRef{ID: int64(i)}})
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("20 publishes with Redis down took %s", d)
	}
	if got := len(recA.snapshot()); got != 20 {
		t.Fatalf("A's own listener got %d events while Redis was down, want 20", got)
	}

	r.Start()
	waitSubscribers(t, probe, channel, 2) // both subscribers came back by themselves
	eventually(t, 10*time.Second, "events crossing again after the restart", func() bool {
		_ = a.hub.Publish(ctx, chat.Event{Type: chat.EventMessage, RoomID: 3, User: chat.UserRef{ID: 1}})
		return recB.snapshot()["a/3/1"] >= 1
	})
}
