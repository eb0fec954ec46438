package recovery

import (
	"testing"
	"time"

	"github.com/zishang520/engine.io/v2/types"
	"github.com/zishang520/socket.io-go-parser/v2/parser"
	"github.com/zishang520/socket.io/v2/socket"
)

func seqs(q *packetQueue) []uint64 {
	var out []uint64
	for i := range q.len() {
		out = append(out, q.at(i).seq)
	}
	return out
}

func TestPacketQueueBoundedByCount(t *testing.T) {
	var q packetQueue
	t0 := time.Now()
	for i := uint64(1); i <= 1000; i++ {
		q.push(keptPacket{seq: i, at: t0.UnixNano()}, 100)
		q.dropOld(t0.Add(-time.Minute), 100)
	}
	got := seqs(&q)
	if len(got) != 100 || got[0] != 901 || got[99] != 1000 {
		t.Fatalf("kept %d packets %v..., want 901..1000", len(got), got[:1])
	}
	// The ring holds exactly the bound: it is scanned by every collection.
	if len(q.ring) != 100 {
		t.Fatalf("ring of %d entries for a bound of 100", len(q.ring))
	}
}

func TestPacketQueueBoundedByTime(t *testing.T) {
	var q packetQueue
	t0 := time.Now()
	for i := uint64(1); i <= 300; i++ {
		q.push(keptPacket{seq: i, at: t0.Add(time.Duration(i) * time.Second).UnixNano()}, 1000)
	}
	q.dropOld(t0.Add(200*time.Second), 1000) // keeps packets at or after 200 s
	got := seqs(&q)
	if len(got) != 101 || got[0] != 200 || got[100] != 300 {
		t.Fatalf("kept %d packets from %v, want 200..300", len(got), got[:1])
	}
	q.dropOld(t0.Add(time.Hour), 1000)
	if q.len() != 0 || q.ring != nil {
		t.Fatalf("expired packets kept: %v (ring of %d)", seqs(&q), len(q.ring))
	}
}

// Packets stay in order while the ring wraps, grows and shrinks, and a ring
// grown by a burst shrinks once few packets are left.
func TestPacketQueueKeepsOrderAcrossWrapAndResize(t *testing.T) {
	var q packetQueue
	t0 := time.Now()
	next := uint64(1)
	push := func(n int) {
		for range n {
			q.push(keptPacket{seq: next, at: t0.Add(time.Duration(next) * time.Millisecond).UnixNano()}, 1<<20)
			next++
		}
	}
	push(100)
	q.dropOld(t0.Add(60*time.Millisecond), 1<<20) // head moves to 60
	push(200)                                     // wraps, then grows
	got := seqs(&q)
	for i, seq := range got {
		if seq != uint64(60+i) {
			t.Fatalf("packet %d is %d, want %d (of %v)", i, seq, 60+i, got)
		}
	}
	grown := len(q.ring)
	q.dropOld(t0.Add(290*time.Millisecond), 1<<20) // 11 left
	if len(q.ring) >= grown || len(q.ring) < q.len() {
		t.Fatalf("ring of %d (was %d) for %d packets", len(q.ring), grown, q.len())
	}
	if got := seqs(&q); len(got) != 11 || got[0] != 290 || got[10] != 300 {
		t.Fatalf("after shrinking: %v", got)
	}
}

func TestRecoveryAdapterForgetsPacketsBeyondCount(t *testing.T) {
	a := &recoveryAdapter{window: time.Minute, maxPackets: 3, prefix: "p-",
		sessions: newKeptSessions()}
	var offsets []string
	for i := 0; i < 5; i++ {
		offsets = append(offsets, first(a.record([]any{"ev", i}, audience{})))
	}
	room := socket.Room("r")
	a.sessions.keep(&socket.SessionToPersist{Pid: "s", Rooms: types.NewSet(room)}, time.Now())
	// Offset 2 needs packets 3.. kept: 3, 4, 5 are.
	s, err := a.RestoreSession("s", offsets[1])
	if err != nil || s == nil {
		t.Fatalf("restore after offset 2: %v, %v", s, err)
	}
	if missed, ok := a.missed(s.Data.(*Pending), "sid", []socket.Room{room}); !ok || len(missed) != 3 {
		t.Fatalf("missed after offset 2: %v, %v", missed, ok)
	}
	// Offset 1 needs packet 2, which the count bound dropped: no recovery.
	a.sessions.keep(&socket.SessionToPersist{Pid: "s", Rooms: types.NewSet(room)}, time.Now())
	if s, _ := a.RestoreSession("s", offsets[0]); s != nil {
		t.Fatalf("restored with a dropped packet: %v", s)
	}
}

func TestTargetsHonoursRoomsAndExcept(t *testing.T) {
	in := types.NewSet[socket.Room]("sid1", "5")
	cases := []struct {
		opts *socket.BroadcastOptions
		want bool
	}{
		{nil, true},
		{&socket.BroadcastOptions{Rooms: types.NewSet[socket.Room]("5")}, true},
		{&socket.BroadcastOptions{Rooms: types.NewSet[socket.Room]("6")}, false},
		{&socket.BroadcastOptions{Rooms: types.NewSet[socket.Room]("5"), Except: types.NewSet[socket.Room]("sid1")}, false},
		{&socket.BroadcastOptions{Rooms: types.NewSet[socket.Room](), Except: types.NewSet[socket.Room]("sid2")}, true},
	}
	for i, c := range cases {
		if got := targets(in, c.opts); got != c.want {
			t.Errorf("case %d: targets = %v, want %v", i, got, c.want)
		}
	}
}

// testAdapter is our recovery adapter on a namespace of a server that serves
// nothing (no engine connections: sockets join rooms by id only).
func testAdapter(t *testing.T, window time.Duration) *recoveryAdapter {
	t.Helper()
	srv := socket.NewServer(nil, nil)
	t.Cleanup(func() { srv.Close(nil) })
	return Builder{Window: window}.New(srv.Of("/t", nil)).(*recoveryAdapter)
}

func localEvent(room socket.Room) (*parser.Packet, *socket.BroadcastOptions) {
	return &parser.Packet{Type: parser.EVENT, Data: []any{"user_joined", map[string]any{"id": 1}}},
		&socket.BroadcastOptions{Rooms: types.NewSet(room), Except: types.NewSet[socket.Room](),
			Flags: &socket.BroadcastFlags{Local: true}}
}

func keptCount(a *recoveryAdapter) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.kept.len()
}

// The hub's events reach every namespace: one with nobody in the room and no
// disconnected socket that could recover keeps nothing; as soon as either
// exists, the packet is kept.
func TestLocalBroadcastIsKeptOnlyIfSomeoneCouldRecoverIt(t *testing.T) {
	a := testAdapter(t, time.Minute)
	a.Broadcast(localEvent("5"))
	if n := keptCount(a); n != 0 || a.seq != 0 {
		t.Fatalf("kept %d packets (seq %d) for an empty room and no session", n, a.seq)
	}

	a.AddAll("sid1", types.NewSet[socket.Room]("sid1", "5"))
	a.Broadcast(localEvent("5"))
	if n := keptCount(a); n != 1 {
		t.Fatalf("kept %d packets for a room with a member, want 1", n)
	}
	a.Broadcast(localEvent("6")) // another, empty room
	if n := keptCount(a); n != 1 {
		t.Fatalf("kept %d packets after a broadcast to an empty room, want 1", n)
	}

	a.DelAll("sid1")
	a.PersistSession(&socket.SessionToPersist{Sid: "sid1", Pid: "p1", Rooms: types.NewSet[socket.Room]("sid1", "5")})
	a.Broadcast(localEvent("5"))
	if n := keptCount(a); n != 2 {
		t.Fatalf("kept %d packets with a session that may recover, want 2", n)
	}
}

// With nothing broadcast any more, what outlived the window is still dropped.
func TestKeptPacketsAndSessionsExpireOnAnIdleServer(t *testing.T) {
	a := testAdapter(t, 50*time.Millisecond)
	a.AddAll("sid1", types.NewSet[socket.Room]("sid1", "5"))
	a.Broadcast(localEvent("5"))
	a.PersistSession(&socket.SessionToPersist{Sid: "sid2", Pid: "p2", Rooms: types.NewSet[socket.Room]("sid2")})
	if keptCount(a) != 1 {
		t.Fatal("packet not kept")
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		a.mu.Lock()
		packets, sessions := a.kept.len(), a.sessions.len()
		idle := a.kept.ring == nil && sessions == 0 && a.pruneTimer == nil
		a.mu.Unlock()
		if idle {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("still kept after the window: %d packets, %d sessions", packets, sessions)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A live-only event (a snapshot the door sends afresh on every join) takes an
// offset in order with the kept packets but is not kept; a session whose last
// packet came before it, or was it, is still restored, with nothing missing.
func TestLiveBroadcastIsNotKeptAndLeavesNoGap(t *testing.T) {
	a := testAdapter(t, time.Minute)
	a.AddAll("sid1", types.NewSet[socket.Room]("sid1", "5"))
	p, opts := localEvent("5")
	a.Broadcast(p, opts) // seq 1, kept
	a.broadcast(&parser.Packet{Type: parser.EVENT, Data: []any{"users_online", map[string]any{"count": 50}}},
		localBroadcast("sid1", ""), false) // seq 2, live only
	if n := keptCount(a); n != 1 || a.seq != 2 {
		t.Fatalf("kept %d packets at seq %d, want 1 of 2 (the snapshot not kept)", n, a.seq)
	}
	p, opts = localEvent("5")
	a.Broadcast(p, opts) // seq 3, kept
	// Evicting seq 1 leaves 3 alone: a client that got 1 missed 3 only, one
	// that got the snapshot (2) missed 3, one that got 3 missed nothing.
	a.mu.Lock()
	a.kept.dropOldest()
	a.mu.Unlock()
	for _, last := range []uint64{1, 2, 3} {
		a.PersistSession(&socket.SessionToPersist{Sid: "sid1", Pid: "p1", Rooms: types.NewSet[socket.Room]("sid1", "5")})
		s, err := a.RestoreSession("p1", a.offsetOf(last))
		if err != nil || s == nil {
			t.Fatalf("session with last packet %d not restored (%v): the unkept snapshot counted as a gap", last, err)
		}
		if p := s.Data.(*Pending); p.last != last {
			t.Fatalf("restored from %d, want %d", p.last, last)
		}
	}
	// One whose last packet is older than what was evicted is not.
	a.mu.Lock()
	a.kept.dropOldest() // seq 3
	a.mu.Unlock()
	a.PersistSession(&socket.SessionToPersist{Sid: "sid1", Pid: "p1", Rooms: types.NewSet[socket.Room]("sid1", "5")})
	if s, _ := a.RestoreSession("p1", a.offsetOf(2)); s != nil {
		t.Fatal("restored a session whose missed packet was evicted")
	}
}
