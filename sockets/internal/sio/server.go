package sio

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"time"

	ws "github.com/gorilla/websocket"
	"github.com/zishang520/engine.io/v2/engine"
	"github.com/zishang520/engine.io/v2/transports"
	"github.com/zishang520/engine.io/v2/types"
	"github.com/zishang520/socket.io/v2/socket"

	"github.com/izpochat/server/config"
	"github.com/izpochat/server/metrics"
	"github.com/izpochat/server/sockets/internal/connectgate"
	"github.com/izpochat/server/sockets/internal/namespaces"
	"github.com/izpochat/server/sockets/internal/ordering"
	"github.com/izpochat/server/sockets/internal/recovery"
	"github.com/izpochat/server/sockets/internal/release"
	"github.com/izpochat/server/sockets/internal/sendqueue"
	"github.com/izpochat/server/sockets/internal/workers"
	"github.com/izpochat/server/sockets/wstransport"
)

// Options configures the layer. Every field is required unless it says
// otherwise (the doors apply the defaults).
type Options struct {
	Logger    *slog.Logger
	Metrics   metrics.Recorder
	SocketIO  config.SocketIO
	RateLimit config.RateLimit
	// WriteTimeout bounds one write to a websocket client before it is dropped.
	WriteTimeout time.Duration
	// Cluster joins the server to the other instances' (nil: one instance).
	Cluster socket.AdapterConstructor

	// Context is the layer's life: every event's context derives from it.
	Context context.Context
	// EventTimeout bounds the work done for one client event.
	EventTimeout time.Duration
	// RoomNamespaces matches the per-room namespaces ("/rooms/<id>"), whose
	// lifetime the layer manages; RoomID reads a room's id from such a name.
	RoomNamespaces *regexp.Regexp
	RoomID         func(name string) (int64, bool)
	// Fail tells a client that one of its events failed (the door's error
	// event and error ack); RateLimited is the error of an event over the
	// connection's budget.
	Fail        func(s *socket.Socket, ack socket.Ack, err error)
	RateLimited error
	// Refusal is the CONNECT_ERROR a refused CONNECT is answered with.
	Refusal func(err error) *socket.ExtendedError
}

// Server is one instance's Socket.IO server with our parts in place.
type Server struct {
	opts    Options
	io      *socket.Server
	handler http.Handler
	// recovery: every namespace's adapter is ours (connection state recovery on).
	recovery bool

	gates      *connectgate.Gates
	workers    *workers.Pool        // run client events (router.go)
	rooms      *namespaces.Registry // the per-room namespaces that exist
	roomParent socket.Namespace     // socket.io's parent of the per-room namespaces
	log        *slog.Logger
}

// New builds the server. It installs our websocket transport in the engine's
// registry first (process-wide).
func New(o Options) *Server {
	websockets := wstransport.Register(wstransport.Options{QueueSize: o.SocketIO.SendQueue, WriteTimeout: o.WriteTimeout,
		MaxMessageSize: o.SocketIO.MaxPayload, Logger: o.Logger})
	s := &Server{opts: o, log: o.Logger, recovery: o.SocketIO.RecoveryWindow > 0,
		rooms: namespaces.New(o.RoomID), gates: connectgate.New(), workers: workers.New(workers.Idle)}
	s.gates.Closed = s.rooms.ConnClosed

	opts := socket.DefaultServerOptions()
	opts.SetServeClient(false)
	// Per-connection FIFO and budget of client events; holds the room
	// namespace a CONNECT names (namespaces.Registry).
	opts.SetParser(ordering.Parser{Limit: o.RateLimit, MaxWait: o.EventTimeout + 5*time.Second, Holder: s.rooms})
	// Refused and emptied room namespaces are removed, when the registry lets
	// the library do it.
	opts.SetCleanupEmptyChildNamespaces(true)
	opts.SetAllowEIO3(true)
	opts.SetTransports(types.NewSet("polling", "websocket"))
	opts.SetAllowUpgrades(true)
	opts.SetPingInterval(o.SocketIO.PingInterval)
	opts.SetPingTimeout(o.SocketIO.PingTimeout)
	opts.SetMaxHttpBufferSize(o.SocketIO.MaxPayload)
	// No library CORS: the HTTP door's CORS middleware answers for /socket.io/ as
	// for every path, from config.OriginAllowed (the one origin check).
	opts.SetCors(nil)
	var adapter socket.AdapterConstructor = &socket.AdapterBuilder{}
	if s.recovery {
		csr := &socket.ConnectionStateRecovery{}
		csr.SetMaxDisconnectionDuration(o.SocketIO.RecoveryWindow.Milliseconds())
		// A recovering client is authenticated again: its token may have expired
		// or its account been deleted meanwhile. (Room namespaces rely on it:
		// every CONNECT passes their middleware.)
		csr.SetSkipMiddlewares(false)
		opts.SetConnectionStateRecovery(csr)
		adapter = recovery.Builder{Window: o.SocketIO.RecoveryWindow, MaxBytes: o.SocketIO.RecoveryMaxBytes, Base: o.Cluster}
	} else if o.Cluster != nil {
		adapter = o.Cluster
	}
	opts.SetAdapter(namespaces.Builder{Inner: adapter, Rooms: s.rooms})
	s.io = socket.NewServer(nil, opts)
	s.handler = s.io.ServeHandler(nil)
	s.gates.Install(s.io.Engine())
	_ = s.io.Engine().On("connection", func(args ...any) {
		if conn, ok := args[0].(engine.Socket); ok {
			release.RequestWhenDone(conn.Request())
			sendqueue.Bound(conn, o.SocketIO.SendQueue, s.log) // polling's queue
			// Only a polling session can upgrade. Added before the upgrade's own
			// "close" listener, so it runs first (wstransport/probe.go).
			if conn.Transport().Name() == transports.POLLING {
				_ = conn.Once("close", func(...any) { websockets.QuietProbes(conn.Id()) })
			}
		}
	})
	s.io.Sockets().On("new_namespace", func(args ...any) {
		if nsp, ok := args[0].(socket.Namespace); ok {
			s.rooms.Registered(nsp)
		}
	})
	s.roomParent = s.io.Of(o.RoomNamespaces, nil)
	return s
}

// Handler serves /socket.io/ (polling and websocket, EIO=4 and EIO=3).
func (s *Server) Handler() http.Handler { return s.handler }

// EventContext is the context one client event (or a CONNECT) is handled under.
func (s *Server) EventContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(s.opts.Context, s.opts.EventTimeout)
}

// RoomNamespace returns the per-room namespace of roomID if it exists
// (looking it up through the library would create it).
func (s *Server) RoomNamespace(roomID int64) socket.Namespace { return s.rooms.Live(roomID) }

// RoomNamespaces is every per-room namespace that exists.
func (s *Server) RoomNamespaces() []socket.Namespace { return s.rooms.All() }

// CountRoomNamespaces is how many per-room namespaces exist, as our registry
// and as socket.io (the children of their parent namespace) count them, with
// the library's names and socket counts (for tests and diagnostics).
func (s *Server) CountRoomNamespaces() (ours, library int, names []string) {
	children := s.roomParent.(socket.ParentNamespace).Children()
	for _, n := range children.Keys() {
		names = append(names, fmt.Sprintf("%s(%d sockets)", n.Name(), namespaces.ConnectedSockets(n)))
	}
	return s.rooms.Count(), children.Len(), names
}

// Drain closes every Engine.IO connection without a Socket.IO disconnect ("41",
// after which socket.io-client would not reconnect), so clients see their
// transport close and reconnect, to another instance: websocket clients get a
// close frame 1012 (service restart) with reason rather than a cut connection
// (1006), and a pending long-poll GET is answered at once (the engine aborts it).
func (s *Server) Drain(reason string) {
	s.io.Engine().Clients().Range(func(_ string, conn engine.Socket) bool {
		wstransport.SetCloseReason(conn.Transport(), ws.CloseServiceRestart, reason)
		return true
	})
	s.io.Close(nil)
}

// ForgetMessage makes every packet kept for recovery of the named events about
// message id unreplayable, in the main namespaces and roomID's namespace (a
// deleted message: nobody may get its text again, not even a recovering client).
func (s *Server) ForgetMessage(main []socket.Namespace, roomID int64, events []string, id int64) {
	for _, nsp := range main {
		recovery.Forget(nsp, events, id)
	}
	recovery.Forget(s.RoomNamespace(roomID), events, id)
}
