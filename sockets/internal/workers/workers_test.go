package workers

import (
	"testing"
	"time"
)

// Events one after another run on the same worker, which ends once idle.
func TestEventWorkerIsReusedAndEndsWhenIdle(t *testing.T) {
	w := New(300 * time.Millisecond)
	ran := make(chan int, 10)
	w.Run(func() { ran <- 1 })
	<-ran
	// Each pause lets the worker get back to waiting for a job (until then, run
	// would start another).
	time.Sleep(50 * time.Millisecond)
	for i := 2; i <= 5; i++ {
		w.Run(func() { ran <- i })
		if got := <-ran; got != i {
			t.Fatalf("ran job %d, want %d", got, i)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := w.live.Load(); n != 1 {
		t.Fatalf("%d workers after five events one at a time, want 1", n)
	}
	for deadline := time.Now().Add(2 * time.Second); w.live.Load() != 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the idle worker did not end")
		}
	}
}

// An event never waits for a busy worker: it gets one of its own, so events
// that wait for each other cannot deadlock.
func TestEventWorkerNeverWaitsForABusyOne(t *testing.T) {
	w := New(time.Second)
	release := make(chan struct{})
	w.Run(func() { <-release })
	done := make(chan struct{})
	w.Run(func() { close(done) })
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("second event waited for the first, still running")
	}
	if n := w.live.Load(); n != 2 {
		t.Fatalf("%d workers, want 2", n)
	}
	close(release)
}
