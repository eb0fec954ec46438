package wstransport

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/zishang520/engine.io/v2/transports"
	"github.com/zishang520/socket.io/v2/socket"
)

// startBurstServer puts every socket in room "r". On "burst" n it emits, for
// each i, a room broadcast, a per-socket emit and another broadcast, back to
// back, so the engine flushes broadcasts and ordinary packets in one batch.
func startBurstServer(t testing.TB) *testServer {
	var srv *testServer
	srv = startServer(t, nil, func(s *socket.Socket) {
		s.Join("r")
		s.On("burst", func(args ...any) {
			n := int(args[0].(float64))
			for i := 0; i < n; i++ {
				srv.io.To("r").Emit("m", fmt.Sprintf("b%d", i))
				s.Emit("m", fmt.Sprintf("p%d", i))
				srv.io.To("r").Emit("m", fmt.Sprintf("c%d", i))
			}
		})
	})
	return srv
}

// receiveBurst collects "m" payloads until want arrive or the stream stalls.
func receiveBurst(t *testing.T, c *rawClient, want int) []string {
	t.Helper()
	var got []string
	for len(got) < want {
		ev, ok := c.nextEvent(t, 2*time.Second)
		if !ok {
			break
		}
		if ev.Name != "m" {
			t.Fatalf("event name = %q, want m", ev.Name)
		}
		got = append(got, argString(t, ev, 0))
	}
	return got
}

func burstSequence(n int) []string {
	seq := make([]string, 0, 3*n)
	for i := 0; i < n; i++ {
		seq = append(seq, fmt.Sprintf("b%d", i), fmt.Sprintf("p%d", i), fmt.Sprintf("c%d", i))
	}
	return seq
}

func TestBroadcastFollowedByEmitAllArriveInOrder(t *testing.T) {
	const n = 300
	useTransport(t, NewBuilder(Options{}))
	srv := startBurstServer(t)
	c, _ := connectV4(t, srv, 0)
	c.startReading()

	c.emit(t, "burst", n)
	got := receiveBurst(t, c, 3*n)

	want := burstSequence(n)
	if len(got) != len(want) {
		t.Fatalf("received %d packets, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("packet %d = %q, want %q (order broken)", i, got[i], want[i])
		}
	}
	if extra, ok := c.nextEvent(t, 200*time.Millisecond); ok {
		t.Fatalf("unexpected extra packet %v", extra)
	}
}

// The library's own transport drops packets queued behind a broadcast frame
// in the same flush; this documents the bug our transport fixes.
func TestStockTransportLosesPacketsBehindBroadcast(t *testing.T) {
	const n = 300
	useTransport(t, &transports.WebSocketBuilder{})
	srv := startBurstServer(t)
	// A CONNECT reply that did not come within 5 s was seen once on a loaded CI
	// machine (the same bug, or the load; not known): such a connection is
	// replaced, twice at most.
	var c *rawClient
	for attempt := 1; c == nil; attempt++ {
		var err error
		if c, _, err = tryConnectV4(t, srv, 0); err != nil && attempt == 3 {
			t.Fatalf("attempt %d: %v", attempt, err)
		} else if err != nil {
			t.Logf("attempt %d: %v", attempt, err)
		}
	}
	c.startReading()

	c.emit(t, "burst", n)
	got := receiveBurst(t, c, 3*n)
	if len(got) >= 3*n {
		t.Fatalf("stock transport delivered all %d packets; expected loss (bug fixed upstream?)", len(got))
	}
	t.Logf("stock transport delivered %d of %d packets", len(got), 3*n)
}

func TestManyClientsReceiveEveryBroadcastExactlyOnce(t *testing.T) {
	const clients, broadcasts = 20, 500
	useTransport(t, NewBuilder(Options{}))
	var srv *testServer
	srv = startServer(t, nil, func(s *socket.Socket) {
		s.Join("r")
		s.On("go", func(...any) {
			for i := 0; i < broadcasts; i++ {
				srv.io.To("r").Emit("m", fmt.Sprintf("%d", i))
			}
		})
	})
	raws := make([]*rawClient, clients)
	for i := range raws {
		raws[i], _ = connectV4(t, srv, 0)
		raws[i].startReading()
	}
	raws[0].emit(t, "go")

	var wg sync.WaitGroup
	for ci, c := range raws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < broadcasts; i++ {
				select {
				case ev := <-c.events:
					var got string
					if len(ev.Args) == 1 {
						got = string(ev.Args[0])
					}
					if want := fmt.Sprintf("%q", fmt.Sprint(i)); got != want {
						t.Errorf("client %d: broadcast %d payload = %s, want %s", ci, i, got, want)
						return
					}
				case <-time.After(5 * time.Second):
					t.Errorf("client %d: got %d of %d broadcasts", ci, i, broadcasts)
					return
				}
			}
			select {
			case ev := <-c.events:
				t.Errorf("client %d: duplicate/extra broadcast %v", ci, ev)
			case <-time.After(200 * time.Millisecond):
			}
		}()
	}
	wg.Wait()
}
