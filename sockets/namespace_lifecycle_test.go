package sockets_test

import (
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	ws "github.com/gorilla/websocket"

	"github.com/izpochat/server/config"
	"github.com/izpochat/server/internal/testkit"
	"github.com/izpochat/server/internal/testkit/testapp"
	"github.com/izpochat/server/sockets"
)

// connectFlooder is an attacker's Engine.IO connection: it sends CONNECTs
// to namespaces and reads the answers, without any namespace of its own.
type connectFlooder struct {
	t    testing.TB
	conn *ws.Conn
}

func dialFlooder(t testing.TB, a *app) *connectFlooder {
	t.Helper()
	conn, _ := testkit.OpenEngineWebsocket(t, a.srv.URL) // an attacker's: nothing but what the test writes
	return &connectFlooder{t: t, conn: conn}
}

// flood sends one CONNECT per packet, all at once, and waits for as many
// CONNECT_ERRORs; it fails on any other answer to them.
func (f *connectFlooder) flood(packets []string) {
	f.t.Helper()
	errs := make(chan error, 1)
	go func() {
		for _, p := range packets {
			if err := f.conn.WriteMessage(ws.TextMessage, []byte(p)); err != nil {
				errs <- err
				return
			}
		}
		errs <- nil
	}()
	_ = f.conn.SetReadDeadline(time.Now().Add(60 * time.Second))
	for refused := 0; refused < len(packets); {
		_, msg, err := f.conn.ReadMessage()
		if err != nil {
			f.t.Fatalf("after %d of %d refusals: %v", refused, len(packets), err)
		}
		switch s := string(msg); {
		case s == "2":
			_ = f.conn.WriteMessage(ws.TextMessage, []byte("3"))
		case strings.HasPrefix(s, "44/rooms/"):
			refused++
		default:
			f.t.Fatalf("unexpected answer to a refused CONNECT: %q", s)
		}
	}
	if err := <-errs; err != nil {
		f.t.Fatalf("write: %v", err)
	}
}

func heapObjectBytes() uint64 {
	runtime.GC()
	runtime.GC()
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// waitRoomNamespaces waits until both our registry and socket.io count want
// per-room namespaces.
func waitRoomNamespaces(t *testing.T, a *app, want int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ours, library := sockets.RoomNamespaces(a.doors)
		if ours == want && library == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("room namespaces: %d (registry), %d (socket.io); want %d %v", ours, library, want, sockets.RoomNamespaceNames(a.doors))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestRefusedConnectsLeaveNoNamespaces drives the attack of issue 19: a
// client sends thousands of CONNECTs to distinct /rooms/<n>, every one refused
// (no token, no such room, a private room it may not read), over a few
// Engine.IO connections it keeps open. Every namespace is gone afterwards,
// and the heap is back where it was.
func TestRefusedConnectsLeaveNoNamespaces(t *testing.T) {
	a := newApp(t, "sqlite")
	owner, mallory := a.register("owner"), a.register("mallory")
	private := a.createRoom(owner, "secret", true)
	const conns, perConn = 4, 1000
	flooders := make([]*connectFlooder, conns)
	for i := range flooders {
		flooders[i] = dialFlooder(t, a)
	}
	auth := `{"token":"` + mallory.Token + `"}`
	packets := func(round, conn, n int) []string {
		out := make([]string, 0, n)
		for i := range n {
			room := 1_000_000 + round*conns*perConn + conn*perConn + i
			switch i % 50 { // mostly the cheapest refusal, an attacker's choice
			case 0: // exists, but private
				out = append(out, fmt.Sprintf("40/rooms/%d,%s", private, auth))
			case 1: // no such room
				out = append(out, fmt.Sprintf("40/rooms/%d,%s", room, auth))
			default: // no token
				out = append(out, fmt.Sprintf("40/rooms/%d,", room))
			}
		}
		return out
	}
	run := func(round, n int) {
		var wg sync.WaitGroup
		for i, f := range flooders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				f.flood(packets(round, i, n))
			}()
		}
		wg.Wait()
	}
	run(0, 50) // warm up: pools, maps and buffers that stay anyway
	waitRoomNamespaces(t, a, 0)
	before := heapObjectBytes()

	start := time.Now()
	run(1, perConn)
	t.Logf("%d refused CONNECTs in %v", conns*perConn, time.Since(start).Round(time.Millisecond))
	waitRoomNamespaces(t, a, 0)
	grown := int64(heapObjectBytes()) - int64(before)
	t.Logf("heap grew by %d KiB", grown/1024)
	// Kept, every namespace costs over a KiB of heap (4,000 of them: 5 MiB).
	const limit = 2 << 20
	if grown > limit {
		t.Fatalf("heap grew by %d KiB after %d refused CONNECTs (limit %d KiB)", grown/1024, conns*perConn, limit/1024)
	}
	// The connections still work: a CONNECT to a room it may read succeeds.
	room := a.createRoom(mallory, "own", false)
	c := mustDial(t, a, dialOpts{nsp: fmt.Sprintf("/rooms/%d", room), auth: map[string]any{"token": mallory.Token}})
	c.next("welcome")
	waitRoomNamespaces(t, a, 1)
}

// TestEmptiedNamespaceIsRemovedAndRejoinDelivers: a room namespace whose last
// socket leaves (a namespace disconnect, so nothing to recover) is removed;
// a client that joins again gets a fresh one, and messages reach it.
func TestEmptiedNamespaceIsRemovedAndRejoinDelivers(t *testing.T) {
	a := newApp(t, "sqlite")
	alice := a.register("alice")
	room := a.createRoom(alice, "general", false)
	nsp := fmt.Sprintf("/rooms/%d", room)
	auth := map[string]any{"token": alice.Token}
	for round := range 3 {
		c := mustDial(t, a, dialOpts{nsp: nsp, auth: auth})
		c.next("welcome")
		waitRoomNamespaces(t, a, 1)
		content := fmt.Sprintf("round %d", round)
		a.postREST(alice, room, content)
		if m := c.next("message").Arg(t); m["content"] != content {
			t.Fatalf("round %d: got %v", round, m)
		}
		c.writeRaw("41" + nsp + ",") // leaves the namespace, keeps the connection
		waitRoomNamespaces(t, a, 0)
		c.close()
	}
}

// TestConnectRacingRemovalGetsLiveNamespace: clients keep joining and leaving
// one room's namespace while messages are posted, so CONNECTs race with the
// namespace's removal. Every client that got in receives the message posted
// after it joined: none lands in a removed namespace.
func TestConnectRacingRemovalGetsLiveNamespace(t *testing.T) {
	// A client may drop before its namespace disconnect is handled: its
	// session is kept that long.
	a := newApp(t, "sqlite", withRecoveryWindow(300*time.Millisecond))
	alice := a.register("alice")
	room := a.createRoom(alice, "general", false)
	nsp := fmt.Sprintf("/rooms/%d", room)
	const workers, rounds = 4, 15
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []string
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				c, _, err := dialSIO(t, a, dialOpts{nsp: nsp, auth: map[string]any{"token": alice.Token}})
				if err != nil {
					mu.Lock()
					failures = append(failures, err.Error())
					mu.Unlock()
					return
				}
				welcome := c.nextOrNil("welcome", 5*time.Second)
				content := fmt.Sprintf("w%d r%d", w, r)
				if welcome != nil {
					a.postREST(alice, room, content)
				}
				if welcome == nil || !c.receives("message", content, 5*time.Second) {
					mu.Lock()
					failures = append(failures, content+" not delivered")
					mu.Unlock()
				}
				// Leaves the namespace (nothing to recover): the last one out
				// removes it while others are connecting.
				c.writeRaw("41" + nsp + ",")
				c.close()
			}
		}()
	}
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("%d failures, first: %s", len(failures), failures[0])
	}
	waitRoomNamespaces(t, a, 0)
}

// TestRoomNamespaceKeptForRecoveryWithinWindow: a client dropped from a room
// namespace (transport closed) recovers within the window what was posted
// meanwhile; the namespace stays for it until its session expires, and goes
// after that.
func TestRoomNamespaceKeptForRecoveryWithinWindow(t *testing.T) {
	const window = time.Second
	a := newApp(t, "sqlite", withRecoveryWindow(window))
	alice, bob := a.register("alice"), a.register("bob")
	room := a.createRoom(alice, "general", false)
	nsp := fmt.Sprintf("/rooms/%d", room)
	pid, offset := droppedRoomSession(t, a, nsp, bob.Token, func() { a.postREST(alice, room, "before") })
	a.postREST(alice, room, "missed")
	waitRoomNamespaces(t, a, 1) // kept: bob's session may recover

	r, data, err := dialSIO(t, a, dialOpts{nsp: nsp, auth: map[string]any{"token": bob.Token, "pid": pid, "offset": offset}})
	if err != nil {
		t.Fatal(err)
	}
	if data["pid"] != pid {
		t.Fatalf("not recovered: %v", data)
	}
	if m := r.next("message").Arg(t); m["content"] != "missed" {
		t.Fatalf("recovered %v, want the missed message", m)
	}
	// Dropped again: kept for a window, then removed with its session.
	r.close()
	time.Sleep(200 * time.Millisecond)
	waitRoomNamespaces(t, a, 1)
	// Expired sessions are pruned a window apart: gone within two windows.
	deadline := time.Now().Add(4*window + 2*time.Second)
	for {
		if ours, library := sockets.RoomNamespaces(a.doors); ours == 0 && library == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("namespace still there long after its last session expired")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// And a late client connects afresh and is served.
	late := mustDial(t, a, dialOpts{nsp: nsp, auth: map[string]any{"token": bob.Token, "pid": pid, "offset": offset}})
	late.next("welcome")
	a.postREST(alice, room, "after")
	if m := late.next("message").Arg(t); m["content"] != "after" {
		t.Fatalf("late client got %v", m)
	}
}

func withRecoveryWindow(d time.Duration) appOption {
	return testapp.WithConfig(func(c *config.Config) { c.SocketIO.RecoveryWindow = d })
}

// nextOrNil waits up to d for the next event named name.
func (c *sioClient) nextOrNil(name string, d time.Duration) *sioEvent {
	deadline := time.After(d)
	for {
		select {
		case ev := <-c.events:
			if ev.Name == name {
				return &ev
			}
		case <-deadline:
			return nil
		}
	}
}

// receives reports whether an event named name with that content arrives within d.
func (c *sioClient) receives(name, content string, d time.Duration) bool {
	deadline := time.After(d)
	for {
		select {
		case ev := <-c.events:
			if ev.Name != name || len(ev.Args) == 0 {
				continue
			}
			var m map[string]any
			if json.Unmarshal(ev.Args[0], &m) == nil && m["content"] == content {
				return true
			}
		case <-deadline:
			return false
		}
	}
}
