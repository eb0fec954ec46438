package sockets_test

import (
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/zishang520/socket.io-go-parser/v2/parser"
	"github.com/zishang520/socket.io/v2/socket"

	"github.com/izpochat/server/internal/testkit/testapp"
	"github.com/izpochat/server/internal/wiring"
	"github.com/izpochat/server/sockets"
)

// memSessions is an in-memory stand-in for cluster.SessionRoutes: which test
// app holds which Engine.IO session.
type memSessions struct {
	mu     sync.Mutex
	owners map[string]*app
	closed []string
}

// memRouter is one app's view of memSessions; self is set once the app exists.
type memRouter struct {
	s         *memSessions
	self      *app
	forwarded atomic.Int64
}

func (r *memRouter) Opened(sid string) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	r.s.owners[sid] = r.self
}

func (r *memRouter) Closed(sid string) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	delete(r.s.owners, sid)
	r.s.closed = append(r.s.closed, sid)
}

func (r *memRouter) Forward(w http.ResponseWriter, req *http.Request, sid string) {
	r.s.mu.Lock()
	owner := r.s.owners[sid]
	r.s.mu.Unlock()
	if owner == nil || owner == r.self {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"code":1,"message":"Session ID unknown"}`))
		return
	}
	r.forwarded.Add(1)
	target, _ := url.Parse(owner.srv.URL)
	httputil.NewSingleHostReverseProxy(target).ServeHTTP(w, req)
}

func (r *memRouter) owner(sid string) *app {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	return r.s.owners[sid]
}

// countingAdapter is a cluster adapter stand-in: the in-memory adapter, counted.
type countingAdapter struct{ built atomic.Int64 }

func (c *countingAdapter) New(nsp socket.Namespace) socket.Adapter {
	c.built.Add(1)
	return socket.NewAdapter(nsp)
}

func withCluster(r *memRouter, adapter socket.AdapterConstructor) appOption {
	return testapp.WithWiring(wiring.WithSocketOptions(func(o *sockets.Options) { o.Sessions, o.ClusterAdapter = r, adapter }))
}

// TestPollingSessionReachableThroughAnyInstance: a polling client whose
// requests alternate between two instances connects, joins and receives, and
// its session is registered before the handshake answer arrives.
func TestPollingSessionReachableThroughAnyInstance(t *testing.T) {
	shared := &memSessions{owners: map[string]*app{}}
	ra, rb := &memRouter{s: shared}, &memRouter{s: shared}
	adapter := &countingAdapter{}
	a := newApp(t, "sqlite", withCluster(ra, adapter))
	b := newApp(t, "sqlite", withCluster(rb, nil))
	ra.self, rb.self = a, b

	alice := a.register("alice")
	room := a.createRoom(alice, "general", false)
	viaA := openPollingClient(t, a.srv.URL)
	if ra.owner(viaA.SID) != a {
		t.Fatal("session not registered by the time the handshake answer arrived")
	}
	viaB := viaA.via(b.srv.URL)

	viaB.post(`40{"token":"` + alice.Token + `"}`)
	if c := viaB.until("connected"); c["user_id"] != float64(alice.ID) {
		t.Fatalf("connected = %v", c)
	}
	viaB.post(fmt.Sprintf(`42["join_room",{"room_id":%d}]`, room))
	viaA.until("users_online")
	a.postREST(alice, room, "through B")
	if m := viaB.until("new_message"); m["content"] != "through B" {
		t.Fatalf("new_message = %v", m)
	}
	if rb.forwarded.Load() < 3 || ra.forwarded.Load() != 0 {
		t.Errorf("forwarded by B = %d (want >= 3), by A = %d (want 0)", rb.forwarded.Load(), ra.forwarded.Load())
	}
	if adapter.built.Load() == 0 {
		t.Error("the cluster adapter was not used")
	}

	// Unknown sessions get Engine.IO's answer, not a forward.
	res, err := http.Get(b.srv.URL + "/socket.io/?EIO=4&transport=polling&sid=nobody")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown sid: %d, want 400", res.StatusCode)
	}

	// Shutting A down ends its sessions, which are forgotten.
	a.doors.Drain(t.Context())
	shared.mu.Lock()
	closed := append([]string(nil), shared.closed...)
	shared.mu.Unlock()
	if ra.owner(viaA.SID) != nil || len(closed) == 0 || closed[0] != viaA.SID {
		t.Errorf("after drain: owner %v, closed %v; want the session forgotten", ra.owner(viaA.SID), closed)
	}
}

// recordingAdapter is a cluster adapter stand-in that records the rooms of
// every broadcast handed to it (what would cross to other instances).
type recordingAdapter struct {
	mu    sync.Mutex
	rooms [][]socket.Room
}

func (r *recordingAdapter) New(nsp socket.Namespace) socket.Adapter {
	return &recordedAdapter{Adapter: socket.NewAdapter(nsp), r: r}
}

func (r *recordingAdapter) addressed(room socket.Room) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, rooms := range r.rooms {
		if len(rooms) == 1 && rooms[0] == room {
			n++
		}
	}
	return n
}

type recordedAdapter struct {
	socket.Adapter
	r *recordingAdapter
}

func (a *recordedAdapter) Broadcast(p *parser.Packet, opts *socket.BroadcastOptions) {
	a.r.mu.Lock()
	a.r.rooms = append(a.r.rooms, opts.Rooms.Keys())
	a.r.mu.Unlock()
	a.Adapter.Broadcast(p, opts)
}

// A socket's own events (message_sent here) are delivered on its instance and
// never handed to the cluster adapter, which would publish them to every
// other instance for nothing.
func TestOwnEmitsStayOffTheClusterAdapter(t *testing.T) {
	adapter := &recordingAdapter{}
	a := newApp(t, "sqlite", withCluster(&memRouter{s: &memSessions{owners: map[string]*app{}}}, adapter))
	alice := a.register("alice")
	room := a.createRoom(alice, "general", false)
	c, connected, err := dialSIO(t, a, dialOpts{auth: map[string]any{"token": alice.Token}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	sid, _ := connected["sid"].(string)
	if sid == "" {
		t.Fatalf("CONNECT answer without sid: %v", connected)
	}
	if ack := c.call("join_room", map[string]any{"room_id": room}); ack["status"] != "success" {
		t.Fatalf("join ack = %v", ack)
	}
	sent := c.call("send_message", map[string]any{"room_id": room, "content": "hi"})
	if ms := c.next("message_sent").Arg(t); ms["message_id"] != sent["message_id"] || ms["status"] != "success" {
		t.Fatalf("message_sent = %v (ack %v)", ms, sent)
	}
	if n := adapter.addressed(socket.Room(sid)); n != 0 {
		t.Fatalf("the cluster adapter got %d broadcasts addressed to the socket's own room", n)
	}
}
