package wstransport

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// failingRawConn is a socket every write to fails.
type failingRawConn struct{}

func (failingRawConn) Control(func(fd uintptr)) error   { return nil }
func (failingRawConn) Read(func(fd uintptr) bool) error { return nil }
func (failingRawConn) Write(func(fd uintptr) bool) error {
	return errors.New("connection reset by peer (test)")
}

// A write that fails on a sender's goroutine — an inline write, or a sender
// helping a flusher that falls behind — closes the connection from another
// goroutine: senders hold the engine's and the adapter's locks, and the close
// runs the socket's disconnect handlers, which take them again (the recovery
// adapter's PersistSession locks what its Broadcast holds while it sends).
func TestSenderWriteFailureClosesOffTheSendersGoroutine(t *testing.T) {
	for _, path := range []string{"inline", "help"} {
		t.Run(path, func(t *testing.T) {
			f, s, _ := oneFlusherConnection(t, 16)
			if path == "help" {
				spendInlineBudget(f)
			}
			stallFlusher(t, f)
			s.Conn().Transport().(*transport).raw = failingRawConn{}

			var held sync.Mutex // stands for a lock the sender holds
			disconnected := make(chan struct{})
			s.On("disconnect", func(...any) {
				held.Lock()
				held.Unlock()
				close(disconnected)
			})
			sent := make(chan struct{})
			go func() {
				held.Lock()
				defer held.Unlock()
				for i := range 8 { // half the queue: the sender helps
					s.Emit("m", fmt.Sprint(i))
				}
				close(sent)
			}()
			select {
			case <-sent:
			case <-time.After(3 * time.Second):
				t.Fatal("the sender is stuck: the failed write's close ran on its goroutine")
			}
			select {
			case <-disconnected:
			case <-time.After(3 * time.Second):
				t.Fatal("the connection whose write failed was not closed")
			}
		})
	}
}
