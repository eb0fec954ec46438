// Package gcpacer paces Go's garbage collector by the live heap: idle
// real-time connections are most of a busy server's heap, and letting that
// long-lived state double between collections (GOGC=100) costs memory for
// nothing, while a small heap churned by traffic keeps the default pace. It
// reads /gc/heap/live:bytes once a second and sets the GC percent.
package gcpacer

import (
	"log/slog"
	"runtime/debug"
	rtmetrics "runtime/metrics"
	"sync"
	"time"

	"github.com/izpochat/server/config"
)

// interval is how often Start looks at the live heap.
const interval = time.Second

// Start holds the garbage collector's headroom to max(c.MinHeadroom,
// c.Percent% of the live heap), never more than Go's default (100%) unless
// c.Percent asks for more: a large heap of long-lived connection state is not
// let double between collections, while a small heap churned by traffic keeps
// the default pace (more frequent collections would cost it CPU). It returns a
// function that stops pacing and waits for it to end. c.Percent 0 leaves the
// runtime's setting (GOGC) alone.
func Start(c config.GC, log *slog.Logger) (stop func()) {
	if c.Percent <= 0 {
		return func() {}
	}
	log.Debug("pacing the garbage collector", "percent", c.Percent, "min_headroom", c.MinHeadroom)
	p := pacer{c: c, current: -1, set: debug.SetGCPercent}
	done, ended := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(ended)
		samples := []rtmetrics.Sample{{Name: "/gc/heap/live:bytes"}}
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			rtmetrics.Read(samples)
			if samples[0].Value.Kind() == rtmetrics.KindUint64 {
				p.step(samples[0].Value.Uint64())
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() { close(done) })
		<-ended
	}
}

// pacer sets the GC percent a live heap calls for when it changes.
type pacer struct {
	c       config.GC
	current int
	set     func(int) int // debug.SetGCPercent
}

func (p *pacer) step(live uint64) {
	if want := percentFor(live, p.c); want != p.current {
		p.set(want)
		p.current = want
	}
}

// percentFor is the GC percent giving a heap of live bytes the headroom
// Start wants, rounded down to a multiple of 5 so a heap that barely moves
// does not change it every time.
func percentFor(live uint64, c config.GC) int {
	ceiling := max(100, c.Percent)
	if live == 0 {
		return ceiling
	}
	fromHeadroom := uint64(c.MinHeadroom) * 100 / live
	p := max(uint64(c.Percent), min(fromHeadroom, uint64(ceiling)))
	return int(p) / 5 * 5
}
