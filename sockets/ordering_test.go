package sockets_test

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"
)

// TestConcurrentSendersEveryoneGetsAllInStoredOrder: 20 clients on all doors
// each send 50 messages at once into one room; every client receives all 1000
// exactly once, in the order they were stored, and the database holds 1000.
func TestConcurrentSendersEveryoneGetsAllInStoredOrder(t *testing.T) {
	const clients, perClient = 20, 50
	a := newApp(t, "sqlite", withRate(10000, 10000))
	owner := a.register("owner")
	room := a.createRoom(owner, "busy", false)
	users := []user{owner, a.register("user1"), a.register("user2"), a.register("user3")}

	type receiver func() (ids []int64)
	var senders []func(i int)
	var receivers []receiver
	for i := 0; i < clients; i++ {
		u := users[i%len(users)]
		switch i % 4 {
		case 0, 1:
			c := mustDial(t, a, dialOpts{auth: map[string]any{"token": u.Token}})
			c.call("join_room", map[string]any{"room_id": room})
			senders = append(senders, func(k int) {
				c.emit("send_message", map[string]any{"room_id": room, "content": fmt.Sprintf("c%d-%d", i, k)})
			})
			receivers = append(receivers, func() []int64 { return collectSIO(t, c, "new_message", clients*perClient) })
		case 2:
			c := mustDial(t, a, dialOpts{nsp: fmt.Sprintf("/rooms/%d", room), auth: map[string]any{"token": u.Token}})
			c.next("welcome")
			senders = append(senders, func(k int) { c.emit("message", map[string]any{"content": fmt.Sprintf("c%d-%d", i, k)}) })
			receivers = append(receivers, func() []int64 { return collectSIO(t, c, "message", clients*perClient) })
		case 3:
			c := dialRaw(t, a, fmt.Sprintf("/api/ws/%d?token=%s", room, u.Token), nil)
			c.next("welcome")
			var mu sync.Mutex
			senders = append(senders, func(k int) {
				mu.Lock()
				defer mu.Unlock()
				c.send(map[string]any{"type": "message", "content": fmt.Sprintf("c%d-%d", i, k)})
			})
			receivers = append(receivers, func() []int64 { return collectRaw(t, c, clients*perClient) })
		}
	}

	var wg sync.WaitGroup
	for _, send := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < perClient; k++ {
				send(k)
			}
		}()
	}
	wg.Wait()

	results := make([][]int64, len(receivers))
	var rg sync.WaitGroup
	for i, r := range receivers {
		rg.Add(1)
		go func() { defer rg.Done(); results[i] = r() }()
	}
	rg.Wait()
	var stored []int64
	if err := a.db.Table("messages").Where("room_id = ?", room).Order("id").Pluck("id", &stored).Error; err != nil {
		t.Fatal(err)
	}
	if len(stored) != clients*perClient {
		t.Fatalf("database holds %d messages, want %d", len(stored), clients*perClient)
	}
	for i, got := range results {
		if len(got) != len(stored) {
			t.Fatalf("client %d received %d messages, want %d", i, len(got), len(stored))
		}
		for k := range got {
			if got[k] != stored[k] {
				t.Fatalf("client %d: message %d has id %d, stored order says %d", i, k, got[k], stored[k])
			}
		}
	}
}

// collectSIO gathers the ids of n message events (and fails on extras arriving soon after).
func collectSIO(t *testing.T, c *sioClient, event string, n int) []int64 {
	var ids []int64
	deadline := time.After(60 * time.Second)
	for len(ids) < n {
		select {
		case ev := <-c.events:
			if ev.Name == event {
				var m struct{ ID int64 }
				_ = json.Unmarshal(ev.Args[0], &m)
				ids = append(ids, m.ID)
			}
		case <-deadline:
			return ids
		}
	}
	extra := time.After(200 * time.Millisecond)
	for {
		select {
		case ev := <-c.events:
			if ev.Name == event {
				return append(ids, -1)
			}
		case <-extra:
			return ids
		}
	}
}

func collectRaw(t *testing.T, c *rawClient, n int) []int64 {
	var ids []int64
	deadline := time.After(60 * time.Second)
	for len(ids) < n {
		select {
		case f := <-c.frames:
			if f["type"] == "message" {
				ids = append(ids, int64(f["id"].(float64)))
			}
		case <-deadline:
			return ids
		}
	}
	extra := time.After(200 * time.Millisecond)
	for {
		select {
		case f := <-c.frames:
			if f["type"] == "message" {
				return append(ids, -1)
			}
		case <-extra:
			return ids
		}
	}
}
