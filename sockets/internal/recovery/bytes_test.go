package recovery

import (
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"github.com/zishang520/engine.io/v2/types"
	"github.com/zishang520/socket.io/v2/socket"
)

// heapLive is the heap the last full collection found live.
func heapLive() uint64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// keptFrameBytes is what the kept packets' frames and binary data hold.
func keptFrameBytes(a *recoveryAdapter) (n int) {
	for i := range a.kept.len() {
		k := a.kept.at(i)
		n += len(k.frame)
		for _, v := range k.data {
			if b, ok := v.([]byte); ok {
				n += len(b)
			}
		}
	}
	return n
}

// Large packets fill the recovery buffer to its byte bound, not its count
// bound: 64 MiB of messages leave at most maxBytes kept (and live), and a
// session whose missed packets were evicted is not restored (it connects
// afresh), while a recent one still is.
func TestRecoveryBufferIsBoundedInBytes(t *testing.T) {
	const maxBytes = 4 << 20
	srv := socket.NewServer(nil, nil)
	t.Cleanup(func() { srv.Close(nil) })
	a := Builder{Window: time.Minute, MaxBytes: maxBytes}.New(srv.Of("/t", nil)).(*recoveryAdapter)
	to := audience{rooms: []socket.Room{"5"}}

	before := heapLive()
	big := strings.Repeat("x", 64<<10)
	var offsets []string
	for i := range 1000 { // 1000 x 64 KiB
		offset, _ := a.record([]any{"new_message", map[string]any{"id": i, "content": big}}, to)
		offsets = append(offsets, offset)
	}
	if n := a.kept.len(); n == 0 || n >= 1000 {
		t.Fatalf("%d of 1000 large packets kept, want the bytes' bound to drop the oldest", n)
	}
	if held := keptFrameBytes(a); held > maxBytes || a.kept.bytes > maxBytes+64<<10 || a.kept.bytes < held {
		t.Fatalf("kept %d bytes of frames (counted %d), bound %d", held, a.kept.bytes, maxBytes)
	}
	if grown := int64(heapLive()) - int64(before); grown > 3*maxBytes {
		t.Fatalf("live heap grew by %d MiB keeping packets bounded at %d MiB", grown>>20, maxBytes>>20)
	}

	persist := func() {
		a.sessions.keep(&socket.SessionToPersist{Pid: "s", Rooms: types.NewSet[socket.Room]("5")}, time.Now())
	}
	persist()
	if s, _ := a.RestoreSession("s", offsets[0]); s != nil {
		t.Fatalf("restored %d packets although the gap was evicted", len(s.MissedPackets))
	}
	persist()
	// The packets themselves wait until the door has re-authorized the socket
	// (Pending): the restored session names the gap.
	s, err := a.RestoreSession("s", offsets[len(offsets)-4])
	if err != nil || s == nil {
		t.Fatalf("restore of a recent gap: %v, %v", s, err)
	}
	if p, ok := s.Data.(*Pending); !ok || p.upTo-p.last != 3 {
		t.Fatalf("restore of a recent gap: pending %+v, want 3 packets", s.Data)
	}

	// Binary packets, kept as data, count against the same bound.
	for range 100 { // 100 x 256 KiB
		a.record([]any{"file", make([]byte, 256<<10)}, to)
	}
	if held := keptFrameBytes(a); held > maxBytes || a.kept.len() >= 100 {
		t.Fatalf("%d binary packets kept holding %d bytes, bound %d", a.kept.len(), held, maxBytes)
	}
}
