package gcpacer

import (
	"log/slog"
	"runtime"
	"runtime/debug"
	"slices"
	"testing"

	"github.com/izpochat/server/config"
)

func TestGCPercentFor(t *testing.T) {
	c := config.GC{Percent: 40, MinHeadroom: 32 << 20}
	cases := []struct {
		live uint64
		want int
	}{
		{0, 100},
		{8 << 20, 100},   // small heap: Go's default pace, no faster
		{40 << 20, 80},   // 32 MiB of 40: 80%
		{64 << 20, 50},   // 32 MiB of 64: 50%
		{100 << 20, 40},  // large heap: Percent
		{2000 << 20, 40}, // however large
	}
	for _, tc := range cases {
		if got := percentFor(tc.live, c); got != tc.want {
			t.Errorf("percentFor(%d MiB) = %d, want %d", tc.live>>20, got, tc.want)
		}
	}
	// A Percent above Go's default is honoured for every heap.
	if got := percentFor(1<<20, config.GC{Percent: 150, MinHeadroom: 32 << 20}); got != 150 {
		t.Errorf("Percent 150 on a small heap = %d", got)
	}
}

func TestGCPacerSetsOnlyChanges(t *testing.T) {
	var set []int
	p := pacer{c: config.GC{Percent: 40, MinHeadroom: 32 << 20}, current: -1,
		set: func(v int) int { set = append(set, v); return 0 }}
	for _, live := range []uint64{8 << 20, 9 << 20, 64 << 20, 65 << 20, 500 << 20, 600 << 20, 8 << 20} {
		p.step(live)
	}
	if want := []int{100, 50, 45, 40, 100}; !slices.Equal(set, want) {
		t.Fatalf("set %v, want %v", set, want)
	}
}

func TestStartAppliesThePercentAndStops(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	// Until a first collection the live heap reads 0, which keeps the ceiling.
	runtime.GC()
	stop := Start(config.GC{Percent: 45}, slog.New(slog.DiscardHandler))
	stop() // waits for the pacer, which sets the percent before its first wait
	if got := debug.SetGCPercent(100); got != 45 {
		t.Fatalf("GC percent = %d, want 45", got)
	}
	// Percent 0 leaves the runtime's setting alone.
	debug.SetGCPercent(77)
	Start(config.GC{}, slog.New(slog.DiscardHandler))()
	if got := debug.SetGCPercent(100); got != 77 {
		t.Fatalf("GC percent with pacing off = %d, want 77", got)
	}
}
