// Package connectgate holds a connection's incoming packets while one of its
// namespace CONNECTs is in flight. socket.io writes a namespace's CONNECT answer
// before it registers the client's socket for that namespace, so an event the
// client emits right after connecting can arrive first, is taken for a protocol
// violation, and the whole connection is closed. The gate sits in front of
// socket.io's "data" listener; the namespace's connection handler (or a
// refusal) opens it again.
package connectgate

import (
	"sync"
	"time"

	"github.com/zishang520/engine.io/v2/engine"
	"github.com/zishang520/engine.io/v2/types"
)

// gateTimeout bounds how long a client's packets wait behind a namespace
// CONNECT that never completes (e.g. an invalid namespace).
const gateTimeout = 3 * time.Second

// Gates works around a race in socket.io: a namespace's CONNECT
// answer is written before the client's socket is registered for that
// namespace, so an event the client emits right after connecting can arrive
// first, is taken for a protocol violation, and the whole connection is
// closed. The gate holds a connection's incoming packets while one of its
// CONNECTs is in flight; the namespace's connection handler (or a refusal)
// opens it again.
type Gates struct {
	mu    sync.Mutex
	gates map[string]*gate // by Engine.IO connection id
	// Closed, if set, is told of every connection that closes (after its gate
	// is gone); set before Install.
	Closed func(connID string)
}

type gate struct {
	mu      sync.Mutex
	pending int
	idle    chan struct{} // while pending > 0: closed when it drops to 0
}

// New is an empty set of gates, one per connection once installed.
func New() *Gates { return &Gates{gates: map[string]*gate{}} }

// Install adds the gate in front of socket.io's connection handling: a gate is
// created before socket.io sees the connection, and its "data" listener is
// registered before socket.io's, so it runs first for every packet (an
// emitter calls listeners in the order they were added) and holds the packet
// while a CONNECT is in flight. (Wrapping socket.io's listener instead would
// remove and re-add the event, which costs every connection a second copy of
// the emitter's map.)
func (g *Gates) Install(eng engine.BaseServer) {
	originals := eng.Listeners("connection")
	eng.RemoveAllListeners("connection")
	_ = eng.On("connection", func(args ...any) {
		conn, ok := args[0].(engine.Socket)
		if !ok {
			return
		}
		gt := g.open(conn.Id())
		if conn.Protocol() == 3 {
			gt.begin() // socket.io connects EIO=3 clients to "/" on its own
		}
		_ = conn.On("data", func(args ...any) {
			gt.wait()
			if len(args) > 0 && isConnectPacket(args[0]) {
				gt.begin()
			}
		})
		_ = conn.Once("close", func(...any) { g.remove(conn.Id()) })
	})
	_ = eng.On("connection", originals...)
}

// isConnectPacket reports a Socket.IO CONNECT packet ("0...").
func isConnectPacket(data any) bool {
	s, ok := data.(*types.StringBuffer)
	return ok && s.Len() > 0 && s.Bytes()[0] == '0'
}

func (g *Gates) open(id string) *gate {
	g.mu.Lock()
	defer g.mu.Unlock()
	gt := &gate{}
	g.gates[id] = gt
	return gt
}

func (g *Gates) get(id string) *gate {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.gates[id]
}

func (g *Gates) remove(id string) {
	g.mu.Lock()
	gt := g.gates[id]
	delete(g.gates, id)
	g.mu.Unlock()
	if gt != nil {
		gt.reset()
	}
	if g.Closed != nil {
		g.Closed(id)
	}
}

// Done marks one CONNECT of the connection as answered (accepted or refused).
func (g *Gates) Done(id string) {
	if gt := g.get(id); gt != nil {
		gt.end()
	}
}

func (gt *gate) begin() {
	gt.mu.Lock()
	defer gt.mu.Unlock()
	if gt.pending == 0 {
		gt.idle = make(chan struct{})
	}
	gt.pending++
}

func (gt *gate) end() {
	gt.mu.Lock()
	defer gt.mu.Unlock()
	if gt.pending == 0 {
		return
	}
	gt.pending--
	if gt.pending == 0 {
		gt.open()
	}
}

// open lets waiting packets through and drops the channel: a gate is kept for
// the connection's life, and most of the time nothing waits. Callers hold gt.mu.
func (gt *gate) open() {
	close(gt.idle)
	gt.idle = nil
}

func (gt *gate) reset() {
	gt.mu.Lock()
	defer gt.mu.Unlock()
	if gt.pending > 0 {
		gt.pending = 0
		gt.open()
	}
}

// wait blocks while a CONNECT is in flight, at most gateTimeout.
func (gt *gate) wait() {
	gt.mu.Lock()
	idle, pending := gt.idle, gt.pending
	gt.mu.Unlock()
	if pending == 0 {
		return
	}
	t := time.NewTimer(gateTimeout)
	defer t.Stop()
	select {
	case <-idle:
	case <-t.C:
		gt.reset()
	}
}
