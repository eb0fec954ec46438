package wstransport

import (
	"errors"
	"log/slog"
	"net"
	"sync"

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

// transport is the engine.io websocket transport. Outgoing packets go into a
// bounded queue; a writer goroutine exists only while the queue is non-empty.
type transport struct {
	transports.Transport

	conn    *types.WebSocketConn
	netConn net.Conn
	opts    Options
	buffers *bufferPool

	mu sync.Mutex
	// queue holds packets not yet taken by the writer.
	queue []queuedPacket
	// writing is true while a writer goroutine runs.
	writing bool
	// closing: DoClose was called; accept nothing, write what is queued, then close.
	closing bool
	// dead: the connection failed or overflowed; drop everything.
	dead bool
}

func newTransport(ctx *types.HttpContext, opts Options, buffers *bufferPool) *transport {
	t := &transport{
		Transport: transports.MakeTransport(),
		conn:      ctx.Websocket,
		netConn:   ctx.Websocket.NetConn(),
		opts:      opts,
		buffers:   buffers,
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

	go t.readLoop(ctx.Request().Context().Done())

	// Always writable: our own queue absorbs bursts, so the engine never has to
	// hold packets back and flush them later in a batch.
	t.SetWritable(true)
	t.SetPerMessageDeflate(nil)
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
		queued := len(t.queue)
		t.dead = true
		t.queue = nil
		t.mu.Unlock()
		t.overflow(queued, len(packets))
		return
	}
	for i, p := range packets {
		t.queue = append(t.queue, queuedPacket{pkt: p, endsBatch: i == len(packets)-1})
	}
	startWriter := !t.writing
	t.writing = true
	t.mu.Unlock()

	if startWriter {
		go t.writeLoop()
	}
}

// overflow drops a client that cannot keep up. The close runs on its own
// goroutine because Send is called with engine and socket.io locks held, and
// closing synchronously would re-enter them.
func (t *transport) overflow(queued, incoming int) {
	t.opts.Logger.Warn("websocket client too slow, closing connection",
		slog.String("sid", t.Sid()),
		slog.String("remote_addr", t.netConn.RemoteAddr().String()),
		slog.Int("queued_packets", queued),
		slog.Int("incoming_packets", incoming),
		slog.Int("queue_size", t.opts.QueueSize))
	go func() {
		t.OnError("websocket write queue overflow", errQueueFull)
		t.conn.Close()
	}()
}

// DoClose closes the connection once already-queued packets are written
// (bounded by the write timeout), so a final packet such as a socket.io
// disconnect reaches the client.
func (t *transport) DoClose(fn types.Callable) {
	t.mu.Lock()
	t.closing = true
	waitForWriter := t.writing && !t.dead
	t.mu.Unlock()

	if fn != nil {
		fn()
	}
	if !waitForWriter {
		t.conn.Close()
	}
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
