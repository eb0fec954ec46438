package wstransport

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zishang520/socket.io/v2/socket"
)

// lockedBuffer is an io.Writer safe for the concurrent slog handler.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestStuckClientIsDroppedWhileOthersKeepReceiving(t *testing.T) {
	const goodClients, messages, queueSize = 5, 3000, 256
	var logs lockedBuffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	useTransport(t, NewBuilder(Options{QueueSize: queueSize, WriteTimeout: 30 * time.Second, Logger: logger}))

	var mu sync.Mutex
	disconnectReasons := map[string]string{} // engine sid -> reason
	srv := startServer(t, nil, func(s *socket.Socket) {
		s.Join("r")
		sid := s.Conn().Id()
		s.On("disconnect", func(args ...any) {
			mu.Lock()
			defer mu.Unlock()
			disconnectReasons[sid], _ = args[0].(string)
		})
	})

	payload := strings.Repeat("x", 8<<10)
	frameLen := len(`42["m",""]`) + len(payload)
	good := make([]*rawClient, goodClients)
	counts := make([]atomic.Int64, goodClients)
	var bad atomic.Int64
	for i := range good {
		good[i], _ = connectV4(t, srv, 0)
		good[i].startCounting(frameLen, &counts[i], &bad)
	}
	_, stuckSid := connectV4(t, srv, 4096) // never reads from here on

	// Bursts of 20 with no wait for the readers: the stuck client must exceed
	// the bound, and on a busy machine the sender can outrun the flushers
	// (then it writes the good clients' queues itself, see transport.help).
	start := time.Now()
	maxLag := int64(0) // messages the slowest good client was behind, for failures
	for i := 0; i < messages; i++ {
		srv.io.To("r").Emit("m", payload)
		if i%20 == 19 {
			for c := range counts {
				maxLag = max(maxLag, int64(i+1)-counts[c].Load())
			}
			time.Sleep(time.Millisecond)
		}
	}
	t.Cleanup(func() {
		if t.Failed() {
			for c := range counts {
				t.Logf("client %d got %d", c, counts[c].Load())
			}
			t.Logf("max lag %d\nlog:\n%s", maxLag, logs.String())
		}
	})
	// A sender held by the stuck client would wait for its write timeout
	// (30 s); a busy machine under -race takes up to ~10 s for the whole pump.
	if elapsed := time.Since(start); elapsed > 20*time.Second {
		t.Fatalf("broadcasting took %v: a stuck client stalled the sender", elapsed)
	}
	t.Logf("pump done after %v", time.Since(start))
	waitFor(t, 10*time.Second, func() bool {
		for i := range counts {
			if counts[i].Load() < messages {
				return false
			}
		}
		return true
	})
	if n := bad.Load(); n != 0 {
		t.Errorf("%d malformed frames at good clients", n)
	}

	t.Logf("good clients done after %v", time.Since(start))
	waitFor(t, 5*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return disconnectReasons[stuckSid] != ""
	})
	mu.Lock()
	reason := disconnectReasons[stuckSid]
	for sid, r := range disconnectReasons {
		if sid != stuckSid {
			t.Errorf("good client %s disconnected: %s", sid, r)
		}
	}
	mu.Unlock()
	if reason != "transport error" {
		t.Errorf("stuck client disconnect reason = %q, want transport error", reason)
	}
	logged := logs.String()
	if !strings.Contains(logged, "level=WARN") || !strings.Contains(logged, "sid="+stuckSid) || !strings.Contains(logged, "remote_addr=") {
		t.Errorf("overflow warning not logged with sid and remote addr; log:\n%s", logged)
	}

	if _, ok := srv.io.Engine().Clients().Load(stuckSid); ok {
		t.Error("stuck client still registered in the engine")
	}
}

// waitFor polls cond until it holds or fails the test after timeout.
func waitFor(t testing.TB, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
