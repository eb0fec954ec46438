package wstransport

import (
	"runtime"

	"github.com/zishang520/engine.io/v2/transports"
	"github.com/zishang520/engine.io/v2/types"
)

// Builder creates websocket transports with fixed options. It satisfies the
// engine's transports.TransportCtor registry interface.
type Builder struct {
	opts     Options
	buffers  *bufferPool
	flushers *flushers
	probes   *probes // upgrade probes by session (probe.go)
}

// NewBuilder returns a builder whose transports use opts (defaults filled in).
func NewBuilder(opts Options) *Builder {
	opts = opts.withDefaults()
	opts.poller = newPoller(opts.Logger)
	return &Builder{opts: opts, buffers: newBufferPool(), flushers: newFlushers(runtime.GOMAXPROCS(0)), probes: &probes{}}
}

// New is called by the engine for every websocket connection (handshake or upgrade).
func (b *Builder) New(ctx *types.HttpContext) transports.Transport {
	return newTransport(ctx, b.opts, b.buffers, b.flushers.pick(), b.probes)
}

// Name is the transport name advertised to clients.
func (b *Builder) Name() string { return transports.WEBSOCKET }

// HandlesUpgrades reports that the engine may hand upgraded requests to this transport.
func (b *Builder) HandlesUpgrades() bool { return true }

// UpgradesTo is empty: websocket is the final transport.
func (b *Builder) UpgradesTo() *types.Set[string] { return types.NewSet[string]() }

// Register installs our websocket transport in the engine's registry and
// returns it. Call once before the socket.io server is created; the registry
// is a plain map shared by the process, so it must not be changed while
// servers are handling requests. The probe registry is carried over from a
// builder registered before (tests run servers one after another), because
// the engine hands every new upgrade to the builder registered last.
func Register(opts Options) *Builder {
	b := NewBuilder(opts)
	if old, ok := transports.Transports()[transports.WEBSOCKET].(*Builder); ok {
		b.probes = old.probes
	}
	transports.Transports()[transports.WEBSOCKET] = b
	return b
}
