package wstransport

import (
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	ws "github.com/gorilla/websocket"
	"github.com/zishang520/engine.io-go-parser/packet"
	"github.com/zishang520/engine.io/v2/transports"
	"github.com/zishang520/engine.io/v2/types"
)

// errQueueFull is reported to the engine when a slow client's queue overflows.
var errQueueFull = errors.New("websocket write queue full")

// queuedPacket is one packet waiting for the writer. endsBatch marks the last
// packet of a Send call: the engine expects one "drain" event per Send.
type queuedPacket struct {
	pkt       *packet.Packet
	endsBatch bool
}

// writeState says who writes a connection's queue.
type writeState uint8

const (
	stateIdle      writeState = iota // nothing queued, no writer
	stateScheduled                   // in (or being written by) a flusher round
	stateSlow                        // a writer goroutine of its own (slowWrite) owns it
)

// String names the state in logs: "slow" at an overflow means the client
// stopped taking data, "scheduled" that the flusher fell behind.
func (s writeState) String() string {
	switch s {
	case stateIdle:
		return "idle"
	case stateScheduled:
		return "scheduled"
	default:
		return "slow"
	}
}

// transport is the engine.io websocket transport. Outgoing packets go into a
// bounded queue that the connection's flusher writes (see flusher), or a
// writer goroutine of its own while the socket is slow to take them.
type transport struct {
	transports.Transport

	conn    *types.WebSocketConn
	netConn net.Conn
	// raw allows non-blocking writes from the flusher; nil when the connection
	// is no plain socket (or compresses): then every write is slowWrite's.
	raw     syscall.RawConn
	flusher *flusher
	opts    Options
	buffers *bufferPool

	// wmu is held by whoever writes to the socket (the flusher, slowWrite,
	// control frames), so a partly written frame is always completed before
	// anything else is written.
	wmu sync.Mutex

	mu sync.Mutex
	// queue holds packets not yet taken by the writer.
	queue []queuedPacket
	state writeState
	// closing: DoClose was called; accept nothing, write what is queued, then close.
	closing bool
	// dead: the connection failed or overflowed; drop everything.
	dead bool
	// closeFrame is the close frame sent when the transport closes (see SetCloseReason).
	closeFrame []byte

	// deflateSet: the engine has set the compression (SetPerMessageDeflate).
	deflateSet atomic.Bool

	// sid is the session this transport was opened to upgrade ("" for a
	// websocket handshake); probes, emitMu and muted keep its events apart from
	// the session's close (probe.go).
	sid    string
	probes *probes
	emitMu sync.RWMutex
	muted  atomic.Bool
}

func newTransport(ctx *types.HttpContext, opts Options, buffers *bufferPool, f *flusher, p *probes) *transport {
	t := &transport{
		sid:       probeSid(ctx),
		probes:    p,
		Transport: transports.MakeTransport(),
		conn:      ctx.Websocket,
		netConn:   ctx.Websocket.NetConn(),
		flusher:   f,
		opts:      opts,
		buffers:   buffers,
		// A closing transport always says so: a peer that sees the TCP
		// connection cut instead reports 1006 (abnormal closure).
		closeFrame: ws.FormatCloseMessage(ws.CloseNormalClosure, ""),
	}
	if t.sid != "" {
		p.add(t.sid, t)
	}
	// Route the base's virtual calls (Close -> DoClose, Name) to us.
	t.Prototype(t)
	t.Construct(ctx)
	return t
}

// Construct wires the connection's events and starts the reader.
func (t *transport) Construct(ctx *types.HttpContext) {
	t.Transport.Construct(ctx)

	t.conn.On("error", func(args ...any) {
		if err, ok := firstError(args); ok {
			t.OnError("websocket error", err)
		}
	})
	t.conn.Once("close", func(...any) {
		t.markDead()
		t.OnClose()
	})
	// gorilla answers pings itself when it reads (the fallback reader): its
	// pong must not cut into a frame the flusher wrote only in part.
	t.conn.SetPingHandler(func(data string) error {
		return t.writeControl(ws.PongMessage, []byte(data), time.Now().Add(min(controlReplyWait, t.opts.WriteTimeout)))
	})
	t.raw = fastWriter(t.netConn)

	go t.readLoop(ctx.Request().Context().Done())

	// Always writable: our own queue absorbs bursts, so the engine never has to
	// hold packets back and flush them later in a batch.
	t.SetWritable(true)
	t.Transport.SetPerMessageDeflate(nil)
}

// SetPerMessageDeflate takes the engine's compression setting, which it makes
// right after creating the transport, and records that it was made: reading
// hands the connection to the poller only once it is known that the client
// will not compress (see readLoop).
func (t *transport) SetPerMessageDeflate(p *types.PerMessageDeflate) {
	t.Transport.SetPerMessageDeflate(p)
	t.deflateSet.Store(true)
}

// Name is the transport name.
func (t *transport) Name() string { return transports.WEBSOCKET }

// HandlesUpgrades advertises upgrade support.
func (t *transport) HandlesUpgrades() bool { return true }

// Send queues packets for the writer. It never blocks on the network.
func (t *transport) Send(packets []*packet.Packet) {
	if len(packets) == 0 {
		return
	}
	t.mu.Lock()
	if t.dead || t.closing {
		t.mu.Unlock()
		return
	}
	if len(t.queue)+len(packets) > t.opts.QueueSize {
		queued, state := len(t.queue), t.state
		t.dead = true
		t.queue = nil
		t.mu.Unlock()
		t.overflow(queued, len(packets), state)
		return
	}
	for i, p := range packets {
		t.queue = append(t.queue, queuedPacket{pkt: p, endsBatch: i == len(packets)-1})
	}
	t.startWriterLocked()
}

// overflow drops a client that cannot keep up. The close runs on its own
// goroutine because Send is called with engine and socket.io locks held, and
// closing synchronously would re-enter them.
func (t *transport) overflow(queued, incoming int, state writeState) {
	t.opts.Logger.Warn("websocket client too slow, closing connection",
		slog.String("sid", t.Sid()),
		slog.String("remote_addr", t.netConn.RemoteAddr().String()),
		slog.Int("queued_packets", queued),
		slog.Int("incoming_packets", incoming),
		slog.Int("queue_size", t.opts.QueueSize),
		slog.String("writer", state.String()))
	go func() {
		t.OnError("websocket write queue overflow", errQueueFull)
		t.closeNet()
	}()
}

// DoClose closes the connection once already-queued packets are written
// (bounded by the write timeout), so a final packet such as a socket.io
// disconnect reaches the client.
func (t *transport) DoClose(fn types.Callable) {
	t.mu.Lock()
	t.closing = true
	waitForWriter := t.state != stateIdle && !t.dead
	t.mu.Unlock()

	if fn != nil {
		fn()
	}
	if !waitForWriter {
		t.closeConn()
	}
}

// SetCloseReason chooses the close frame tr sends when it is closed from our
// side (default 1000): a server going away sends 1012 (service restart) or 1001
// (going away). It reports false when tr is not a transport of this package.
func SetCloseReason(tr transports.Transport, code int, reason string) bool {
	t, ok := tr.(*transport)
	if !ok {
		return false
	}
	if len(reason) > maxCloseReason {
		reason = reason[:maxCloseReason]
	}
	t.mu.Lock()
	t.closeFrame = ws.FormatCloseMessage(code, reason)
	t.mu.Unlock()
	return true
}

// maxCloseReason keeps a close frame's payload within the 125 bytes a control
// frame may carry (2 of them are the code).
const maxCloseReason = 123

// closeFrameWait bounds writing the close frame: a server draining thousands of
// connections one after another must not wait long on a stuck peer.
const closeFrameWait = time.Second

// closeConn sends the close frame (best effort, bounded by closeFrameWait)
// and closes the connection. It runs only once the writer is done, so the
// close frame follows every packet already written.
func (t *transport) closeConn() {
	t.mu.Lock()
	frame, dead := t.closeFrame, t.dead
	t.mu.Unlock()
	if !dead {
		_ = t.writeControl(ws.CloseMessage, frame, time.Now().Add(min(closeFrameWait, t.opts.WriteTimeout)))
	}
	t.closeNet()
}

// markDead stops all further writes and releases the queue.
func (t *transport) markDead() {
	t.mu.Lock()
	t.dead = true
	t.queue = nil
	t.mu.Unlock()
}

func firstError(args []any) (error, bool) {
	if len(args) == 0 {
		return nil, false
	}
	err, ok := args[0].(error)
	return err, ok
}
