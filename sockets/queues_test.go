package sockets_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/izpochat/server/chat"
	"github.com/izpochat/server/config"
	"github.com/izpochat/server/internal/testkit/testapp"
)

func withRecovery(window time.Duration, maxBytes int) appOption {
	return testapp.WithConfig(func(c *config.Config) {
		c.SocketIO.RecoveryWindow, c.SocketIO.RecoveryMaxBytes = window, maxBytes
	})
}

// liveHeap is the heap the last full collection found live.
func liveHeap() uint64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// openPolling opens an Engine.IO 4 long-polling session and connects it to "/"
// with token.
func openPolling(t *testing.T, a *app, token string) *pollingClient {
	t.Helper()
	p := openPollingClient(t, a.srv.URL)
	p.post(`40{"token":"` + token + `"}`)
	p.until("connected")
	return p
}

// TestPollingClientThatNeverReadsIsDropped drives the attack: a polling client
// joins a busy room, keeps POSTing events and blind pongs and never GETs. Its
// queue passes SOCKET_SEND_QUEUE, it is dropped and what was queued for it is
// freed, while a reading websocket client in the room gets every message. Before
// the bound, the engine buffered every message for it until its ping timeout.
func TestPollingClientThatNeverReadsIsDropped(t *testing.T) {
	// Recovery keeps at most 1 MiB of the messages (its byte bound is tested
	// apart), so the heap measured here is what the stuck client holds.
	a := newApp(t, "sqlite", withSendQueue(256), withRecovery(2*time.Minute, 1<<20))
	alice, bob := a.register("alice"), a.register("bob")
	room := a.createRoom(alice, "general", false)

	reader := mustDial(t, a, dialOpts{auth: map[string]any{"token": alice.Token}})
	reader.call("join_room", map[string]any{"room_id": room})
	stuck := openPolling(t, a, bob.Token)
	stuck.post(fmt.Sprintf(`42["join_room",{"room_id":%d}]`, room))
	stuck.until("users_online")
	before := liveHeap()

	// From here on bob never GETs: it only POSTs events and pongs.
	stopPosting := make(chan struct{})
	var refusedPosts atomic.Int64
	go func() {
		for {
			select {
			case <-stopPosting:
				return
			case <-time.After(20 * time.Millisecond):
			}
			if stuck.TryPost("3", fmt.Sprintf(`42["typing",{"room_id":%d,"typing":true}]`, room)).Status != http.StatusOK {
				refusedPosts.Add(1)
			}
		}
	}()
	defer close(stopPosting)

	const total = 450
	big := strings.Repeat("x", 20000)
	published := make(chan time.Duration, 1)
	go func() {
		start := time.Now()
		for i := 1; i <= total; i++ {
			msg := &chat.Message{ID: int64(i), Type: "message", Content: big, RoomID: room}
			_ = a.service.Hub().Publish(context.Background(), chat.Event{Type: chat.EventMessage, RoomID: room, Message: msg})
			if i%5 == 0 {
				time.Sleep(25 * time.Millisecond) // a busy room, not one burst
			}
		}
		published <- time.Since(start)
	}()
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(a.logs.String())
		}
	})
	for i := 1; i <= total; i++ {
		if m := reader.next("new_message").Arg(t); m["id"] != float64(i) {
			t.Fatalf("reading client: message %d has id %v", i, m["id"])
		}
	}
	// Publishing never waited for the stuck client: 90 pauses of 25 ms and
	// the work itself (slow under -race), far from a blocked writer's seconds.
	if d := <-published; d > 20*time.Second {
		t.Fatalf("publishing %d messages took %v", total, d)
	}

	waitOnlyOnline(t, a, room, alice.ID, "the polling client that never reads")
	if logs := a.logs.String(); !strings.Contains(logs, "polling client not reading") {
		t.Fatalf("drop not logged: %s", logs)
	}
	// The 450 messages of 20 KB (9 MB) it was sent are not kept for it.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if after := liveHeap(); after < before+6<<20 {
			t.Logf("live heap %+d KiB after %d messages of 20 KB", (int64(after)-int64(before))>>10, total)
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("live heap grew by %d MiB while a polling client did not read", (after-before)>>20)
		}
	}
	if refusedPosts.Load() == 0 {
		// Its session is gone: its next POST is refused.
		for deadline := time.Now().Add(5 * time.Second); stuck.TryPost("3").Status == http.StatusOK; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("the dropped session still takes POSTs")
			}
		}
	}
}

// TestEventFloodBeyondTheRateLimitSchedulesNothing drives a flood: 3000
// send_message events at once, far beyond the budget (burst 40). Events past
// the budget are refused as they are decoded, before any goroutine exists for
// them; before, each got one that then waited for its turn behind the posts.
func TestEventFloodBeyondTheRateLimitSchedulesNothing(t *testing.T) {
	a := newApp(t, "sqlite", withRate(20, 40))
	alice := a.register("alice")
	room := a.createRoom(alice, "general", false)
	c := mustDial(t, a, dialOpts{auth: map[string]any{"token": alice.Token}})

	const flood = 3000
	frames := make([]string, flood)
	for i := range frames {
		frames[i] = fmt.Sprintf(`42["send_message",{"room_id":%d,"content":"m%d"}]`, room, i)
	}
	baseline := runtime.NumGoroutine()
	var peak atomic.Int64
	sampling := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			if n := int64(runtime.NumGoroutine()); n > peak.Load() {
				peak.Store(n)
			}
			select {
			case <-sampling:
				return
			case <-time.After(200 * time.Microsecond):
			}
		}
	}()
	start := time.Now()
	for _, f := range frames {
		c.writeRaw(f)
	}
	// The accepted posts finish (and with them the old code's waiting
	// goroutines) well within this.
	deadline := time.Now().Add(10 * time.Second)
	for a.countMessages(room) < 40 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	elapsed := time.Since(start)
	close(sampling)
	<-sampled

	stored := a.countMessages(room)
	if max := int64(40 + 20*elapsed.Seconds() + 1); stored < 40 || stored > max {
		t.Fatalf("%d of %d flooded messages stored in %v, want the burst of 40 (at most %d)", stored, flood, elapsed, max)
	}
	// The accepted events' workers, the answered refusals' short library
	// goroutines (at most 64 at once) and the test's own: a few hundred at
	// most, never one per flooded event.
	t.Logf("%d goroutines more at the peak of the flood; %d of %d events stored", peak.Load()-int64(baseline), stored, flood)
	if grown := peak.Load() - int64(baseline); grown > 400 {
		t.Fatalf("%d goroutines at the peak of a flood of %d events beyond the budget (baseline %d)", grown, flood, baseline)
	}
	// The connection is still served, and refusals are answered as the
	// contract says.
	if ev := c.next("error").Arg(t); ev["code"] != "rate_limited" {
		t.Fatalf("error event = %v", ev)
	}
	if ack := c.call("typing", map[string]any{"room_id": room, "typing": true}); ack["status"] == nil {
		t.Fatalf("ack after the flood = %v", ack)
	}
}

// TestRecoveryOfAnEvictedGapConnectsAfresh: a client whose missed messages
// were dropped by the recovery buffer's byte bound is not recovered (new pid,
// nothing replayed: it fetches the history), while a gap within the bound is.
func TestRecoveryOfAnEvictedGapConnectsAfresh(t *testing.T) {
	a := newApp(t, "sqlite", withRecovery(2*time.Minute, 1<<20))
	alice, bob := a.register("alice"), a.register("bob")
	room := a.createRoom(alice, "general", false)
	publish := func(n, size int) {
		content := strings.Repeat("y", size)
		for i := range n {
			msg := &chat.Message{ID: int64(1000 + i), Type: "message", Content: content, RoomID: room}
			_ = a.service.Hub().Publish(context.Background(), chat.Event{Type: chat.EventMessage, RoomID: room, Message: msg})
		}
	}
	// disconnect leaves the room with bob's last offset and pid.
	disconnect := func(c *sioClient, pid string) (string, string) {
		t.Helper()
		a.postREST(alice, room, "last seen")
		ev := c.next("new_message")
		var offset string
		_ = json.Unmarshal(ev.Args[len(ev.Args)-1], &offset)
		c.close()
		time.Sleep(200 * time.Millisecond) // the server sees the close
		return pid, offset
	}

	c, connect, err := dialSIO(t, a, dialOpts{auth: map[string]any{"token": bob.Token}})
	if err != nil {
		t.Fatal(err)
	}
	c.call("join_room", map[string]any{"room_id": room})
	pid, offset := disconnect(c, connect["pid"].(string))
	publish(10, 8000) // 80 KB: within the bound
	r, data, err := dialSIO(t, a, dialOpts{auth: map[string]any{"token": bob.Token, "pid": pid, "offset": offset}})
	if err != nil || data["pid"] != pid {
		t.Fatalf("a gap within the bound was not recovered: %v %v", data, err)
	}
	for range 10 {
		r.next("new_message")
	}

	pid, offset = disconnect(r, pid)
	publish(300, 8000) // 2.4 MB: more than the 1 MiB kept
	fresh, data, err := dialSIO(t, a, dialOpts{auth: map[string]any{"token": bob.Token, "pid": pid, "offset": offset}})
	if err != nil {
		t.Fatal(err)
	}
	if data["pid"] == pid {
		t.Fatalf("recovered although the missed messages were evicted: %v", data)
	}
	fresh.next("connected")
	fresh.none("new_message", 300*time.Millisecond)
	// A fresh connection works as any: it joins and receives.
	fresh.call("join_room", map[string]any{"room_id": room})
	a.postREST(alice, room, "after")
	if m := fresh.next("new_message").Arg(t); m["content"] != "after" {
		t.Fatalf("after a fresh connect: %v", m)
	}
}

// waitOnlyOnline waits until userID is the only one online in room: the other
// (what) has been dropped.
func waitOnlyOnline(t *testing.T, a *app, room, userID int64, what string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		online, _ := a.service.OnlineUsers(context.Background(), room)
		if len(online) == 1 && online[0].ID == userID {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s is still online: %v", what, online)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
