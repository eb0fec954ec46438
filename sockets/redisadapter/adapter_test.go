package redisadapter

import (
	"context"
	"fmt"
	"net/http/httptest"
	"reflect"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/zishang520/socket.io/v2/socket"
)

type sioNode struct {
	io      *socket.Server
	http    *httptest.Server
	adapter *Adapter
	sse     chan []any // server-side events received
}

// newSIONode is one Go Socket.IO server with the Redis adapter. Clients join the
// rooms listed in their "rooms" query parameter.
func newSIONode(t *testing.T, url, key string) *sioNode {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	f := New(ctx, clientFor(t, url), Options{Key: key, RequestsTimeout: 2 * time.Second, Logger: testLogger(t)})
	opts := socket.DefaultServerOptions()
	opts.SetAdapter(f)
	io := socket.NewServer(nil, opts)
	n := &sioNode{io: io, adapter: f, sse: make(chan []any, 16)}
	io.On("connection", func(args ...any) {
		s := args[0].(*socket.Socket)
		for _, r := range s.Handshake().Query["rooms"] {
			s.Join(socket.Room(r))
		}
	})
	io.On("note", func(args ...any) { n.sse <- args })
	io.On("who", func(args ...any) {
		if ack, ok := args[len(args)-1].(socket.Ack); ok {
			ack([]any{"here"}, nil)
		}
	})
	n.http = httptest.NewServer(io.ServeHandler(nil))
	t.Cleanup(func() {
		n.http.CloseClientConnections()
		io.Close(nil)
		n.http.Close()
		_ = f.Close()
		cancel()
	})
	return n
}

func twoSIONodes(t *testing.T) (*sioNode, *sioNode) {
	key := uniq(t)
	a, b := newSIONode(t, sharedRedisURL, key), newSIONode(t, sharedRedisURL, key)
	waitSubscribers(t, sharedRedis(t), key+"-request#/#", 2)
	return a, b
}

func TestAdapterBroadcastToRoomReachesOtherServerOnce(t *testing.T) {
	a, b := twoSIONodes(t)
	onA := dialClient(t, a.http.URL, "rooms=r1")
	onB := dialClient(t, b.http.URL, "rooms=r1")
	otherB := dialClient(t, b.http.URL, "rooms=r2")

	a.io.To("r1").Emit("hello", map[string]any{"n": 1})
	got := onB.waitFor("hello", 1)
	onA.waitFor("hello", 1)
	if want := []any{"hello", map[string]any{"n": float64(1)}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("client on B got %v, want %v", got, want)
	}
	b.io.Emit("everyone", "x") // no room: every client everywhere
	onA.waitFor("everyone", 1)
	otherB.waitFor("everyone", 1)

	time.Sleep(200 * time.Millisecond)
	for name, c := range map[string]*wsClient{"A in r1": onA, "B in r1": onB} {
		if n, _ := c.count("hello"); n != 1 {
			t.Errorf("%s got hello %d times, want once", name, n)
		}
	}
	if n, _ := otherB.count("hello"); n != 0 {
		t.Errorf("client in r2 got the r1 broadcast %d times", n)
	}
	if n, _ := onA.count("everyone"); n != 1 {
		t.Errorf("client on A got the broadcast of B %d times, want once", n)
	}
}

func TestAdapterSocketsJoinAcrossServers(t *testing.T) {
	a, b := twoSIONodes(t)
	onB := dialClient(t, b.http.URL, "")
	a.io.SocketsJoin("late")
	eventually(t, 3*time.Second, "the socket on B to join room late", func() bool {
		s, ok := b.io.Sockets().Sockets().Load(socket.SocketId(onB.SocketID))
		return ok && s.Rooms().Has("late")
	})
	a.io.To("late").Emit("joined", 1)
	onB.waitFor("joined", 1)
	a.io.In("late").SocketsLeave("late")
	eventually(t, 3*time.Second, "the socket on B to leave room late", func() bool {
		s, ok := b.io.Sockets().Sockets().Load(socket.SocketId(onB.SocketID))
		return ok && !s.Rooms().Has("late")
	})
}

func TestAdapterFetchSocketsAcrossServers(t *testing.T) {
	a, b := twoSIONodes(t)
	c1 := dialClient(t, a.http.URL, "rooms=r1")
	c2 := dialClient(t, b.http.URL, "rooms=r1")
	dialClient(t, b.http.URL, "rooms=r2")

	type result struct {
		ids []string
		err error
	}
	done := make(chan result, 1)
	a.io.In("r1").FetchSockets()(func(ss []*socket.RemoteSocket, err error) {
		var ids []string
		for _, s := range ss {
			ids = append(ids, string(s.Id()))
			if s.Handshake() == nil || s.Handshake().Query["rooms"] == nil {
				err = fmt.Errorf("socket %s came without its handshake", s.Id())
			}
		}
		done <- result{ids, err}
	})
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatal(r.err)
		}
		want := []string{c1.SocketID, c2.SocketID}
		sort.Strings(want)
		sort.Strings(r.ids)
		if !reflect.DeepEqual(r.ids, want) {
			t.Fatalf("fetchSockets(r1) = %v, want %v", r.ids, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("fetchSockets did not answer")
	}
}

func TestAdapterServerSideEmitAcrossServers(t *testing.T) {
	a, b := twoSIONodes(t)
	if err := a.io.ServerSideEmit("note", "hi", 2); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-b.sse:
		if !reflect.DeepEqual(got, []any{"hi", float64(2)}) && !reflect.DeepEqual(got, []any{"hi", int64(2)}) {
			t.Fatalf("B got server-side event %v", got)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("B did not get the server-side event")
	}
	select {
	case got := <-a.sse:
		t.Fatalf("A got its own server-side event back: %v", got)
	case <-time.After(100 * time.Millisecond):
	}

	var once sync.Once
	replies := make(chan []any, 1)
	if err := a.io.ServerSideEmitWithAck("who")(func(args []any, err error) {
		once.Do(func() {
			if err != nil {
				args = []any{err.Error()}
			}
			replies <- args
		})
	}); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-replies:
		if !reflect.DeepEqual(got, []any{"here"}) {
			t.Fatalf("serverSideEmitWithAck replies = %v, want [here]", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no acknowledgement from B")
	}
}

func TestAdapterKeepsServingLocallyWhenRedisIsDown(t *testing.T) {
	r := startPrivateRedis(t)
	key := uniq(t)
	a, b := newSIONode(t, r.URL(), key), newSIONode(t, r.URL(), key)
	waitSubscribers(t, clientFor(t, r.URL()), key+"-request#/#", 2)
	onA := dialClient(t, a.http.URL, "rooms=r1")
	onB := dialClient(t, b.http.URL, "rooms=r1")

	r.Stop()
	a.io.To("r1").Emit("local", 1)
	onA.waitFor("local", 1) // A's own client still gets it
	done := make(chan int, 1)
	a.io.FetchSockets()(func(ss []*socket.RemoteSocket, err error) { done <- len(ss) })
	select {
	case n := <-done:
		if n != 1 {
			t.Fatalf("fetchSockets with Redis down = %d sockets, want A's 1", n)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("fetchSockets hung with Redis down")
	}

	r.Start()
	waitSubscribers(t, clientFor(t, r.URL()), key+"-request#/#", 2)
	eventually(t, 10*time.Second, "broadcasts crossing again after the restart", func() bool {
		a.io.To("r1").Emit("again", 1)
		n, _ := onB.count("again")
		return n > 0
	})
}
