package models_test

import (
	"runtime"
	"syscall"
	"testing"

	"modernc.org/libc"

	"github.com/izpochat/server/internal/testdb"
)

// minorFaults counts the page faults of the calling thread.
func minorFaults(t *testing.T) int64 {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		t.Fatal(err)
	}
	return ru.Minflt
}

// Once SQLite is open, a block SQLite allocates and frees at once — in any size
// class — reuses memory that stays mapped, instead of mapping, faulting in and
// unmapping a fresh page each time (which cost half of an insert's CPU).
func TestSQLiteTransientAllocationsStayMapped(t *testing.T) {
	testdb.Open(t, "sqlite")
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	tls := libc.NewTLS()
	defer tls.Close()
	cycle := func(size uint64) {
		p := libc.Xmalloc(tls, size)
		if p == 0 {
			t.Fatalf("malloc(%d) failed", size)
		}
		libc.Xfree(tls, p)
	}
	const rounds = 50
	for class := 4; class <= 18; class++ {
		size := uint64(1) << class
		// A kept page hands out each of its never-used slots once (touching
		// them) before it reuses freed ones: go through a page's worth first.
		for range (1<<20)/size + 1 {
			cycle(size)
		}
		before := minorFaults(t)
		for range rounds {
			cycle(size)
		}
		if faults := minorFaults(t) - before; faults > rounds/10 {
			t.Errorf("%d B blocks: %d page faults in %d malloc/free rounds: a page is mapped anew each time", size, faults, rounds)
		}
	}
}
