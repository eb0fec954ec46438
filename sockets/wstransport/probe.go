package wstransport

import (
	"sync"
	"time"

	"github.com/zishang520/engine.io-go-parser/packet"
	"github.com/zishang520/engine.io/v2/types"
)

// Upgrade probes. The engine's MaybeUpgrade (engine.io v2.5.0) keeps the probe
// transport in a variable its listeners share without a lock: the probe's own
// events ("packet", "close", "error") read and clear it on the transport's
// goroutine, while the session's "close" (server shutdown, ping timeout, a
// failed poll) clears it on another. Run at once they race, and a cleared
// variable can be called through (a nil interface). We cannot lock the
// engine's side, so when a session closes while it is upgrading, its probes
// go quiet first: they stop handing events to the engine, and the close
// waits until an event already being handled has returned (QuietProbes).
// From then on only the session's close touches the variable.

// quietWait bounds how long a closing session waits for a probe's event in
// progress; an event handler never blocks for long, so it is only a safety net.
const quietWait = time.Second

// probes are the transports opened to upgrade an existing session, by sid,
// until they close.
type probes struct {
	mu    sync.Mutex
	bySid map[string][]*transport
}

func (p *probes) add(sid string, t *transport) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bySid == nil {
		p.bySid = map[string][]*transport{}
	}
	p.bySid[sid] = append(p.bySid[sid], t)
}

func (p *probes) remove(sid string, t *transport) {
	p.mu.Lock()
	defer p.mu.Unlock()
	list := p.bySid[sid]
	for i, x := range list {
		if x == t {
			list = append(list[:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(p.bySid, sid)
	} else {
		p.bySid[sid] = list
	}
}

func (p *probes) of(sid string) []*transport {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*transport(nil), p.bySid[sid]...)
}

// QuietProbes makes the upgrade probes of session sid stop handing events to
// the engine, and returns once none is being handled. Call it from a listener
// on the engine socket's "close" that was added when the session opened (so
// it runs before the listener MaybeUpgrade adds). A probe stops being one when
// it sends the upgrade packet.
func (b *Builder) QuietProbes(sid string) {
	for _, t := range b.probes.of(sid) {
		t.quiet()
	}
}

// probeSid is the session a websocket request upgrades ("" for a handshake).
func probeSid(ctx *types.HttpContext) string {
	return ctx.Query().Peek("sid") // as the engine reads it
}

// quiet stops the transport's events and waits for one in progress.
func (t *transport) quiet() {
	t.muted.Store(true)
	deadline := time.Now().Add(quietWait)
	for !t.emitMu.TryLock() {
		if time.Now().After(deadline) {
			t.opts.Logger.Warn("websocket upgrade probe still handling an event after the session closed", "sid", t.sid)
			return
		}
		time.Sleep(100 * time.Microsecond)
	}
	t.emitMu.Unlock()
}

// beginEvent reports whether an event may go to the engine; when it does, the
// caller ends it with t.emitMu.RUnlock(). Transports that were never probes
// take no lock. A read lock nests: an event handler that closes the transport
// emits "close" within it (quiet only ever tries the write lock).
func (t *transport) beginEvent() bool {
	if t.sid == "" {
		return true
	}
	t.emitMu.RLock()
	if t.muted.Load() {
		t.emitMu.RUnlock()
		return false
	}
	return true
}

func (t *transport) endEvent() {
	if t.sid != "" {
		t.emitMu.RUnlock()
	}
}

// OnPacket hands a decoded packet to the engine.
func (t *transport) OnPacket(p *packet.Packet) {
	if t.sid != "" && p.Type == packet.UPGRADE {
		// It becomes the session's transport: its close is the session's from now on.
		t.probes.remove(t.sid, t)
	}
	if t.beginEvent() {
		defer t.endEvent()
		t.Transport.OnPacket(p)
	}
}

// OnData hands an encoded packet to the engine.
func (t *transport) OnData(data types.BufferInterface) {
	if t.beginEvent() {
		defer t.endEvent()
		t.Transport.OnData(data)
	}
}

// OnError reports a transport error to the engine.
func (t *transport) OnError(msg string, desc error) {
	if t.beginEvent() {
		defer t.endEvent()
		t.Transport.OnError(msg, desc)
	}
}

// OnClose reports the close to the engine (a quiet probe only marks itself
// closed). A probe leaves the registry only after its "close" was handled: a
// session closing later then finds it there, or is ordered after it by the
// registry's lock.
func (t *transport) OnClose() {
	if t.sid != "" {
		defer t.probes.remove(t.sid, t)
	}
	if t.beginEvent() {
		defer t.endEvent()
		t.Transport.OnClose()
		return
	}
	t.SetReadyState("closed")
}
