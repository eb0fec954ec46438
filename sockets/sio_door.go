package sockets

import (
	"context"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"time"

	ws "github.com/gorilla/websocket"
	"github.com/zishang520/engine.io/v2/engine"
	"github.com/zishang520/engine.io/v2/transports"
	"github.com/zishang520/engine.io/v2/types"
	"github.com/zishang520/socket.io/v2/socket"

	"github.com/izpochat/server/chat"
	"github.com/izpochat/server/sockets/wstransport"
)

// eventTimeout bounds the domain work done for one client event.
const eventTimeout = 15 * time.Second

// roomNamespacePattern matches the per-room namespaces "/rooms/<id>".
var roomNamespacePattern = regexp.MustCompile(`^/rooms/([1-9][0-9]{0,17})$`)

// sioDoor is the Socket.IO door: namespaces "/" and "/socket.io" (the
// Flask-SocketIO events) and "/rooms/<id>" (the FastAPI events).
type sioDoor struct {
	opts    Options
	service *chat.Service
	log     *slog.Logger
	ctx     context.Context

	io      *socket.Server
	handler http.Handler
	main    []socket.Namespace

	gates   *connectGates
	workers *eventWorkers // run client events (sio_order_route.go)

	rooms      *roomNamespaces  // the per-room namespaces that exist (sio_namespaces.go)
	roomParent socket.Namespace // socket.io's parent of the per-room namespaces
}

// websockets is our websocket transport as registered in the engine (its upgrade probes, wstransport/probe.go).
func newSIODoor(ctx context.Context, o Options, websockets *wstransport.Builder) *sioDoor {
	d := &sioDoor{opts: o, service: o.Service, log: o.Logger.With("door", "socketio"), ctx: ctx,
		rooms: newRoomNamespaces(), gates: newConnectGates(), workers: newEventWorkers(workerIdle)}
	d.gates.closed = d.rooms.connClosed

	opts := socket.DefaultServerOptions()
	opts.SetServeClient(false)
	// Per-connection FIFO and budget of client events (sio_order.go); holds
	// the room namespace a CONNECT names (sio_namespaces.go).
	opts.SetParser(orderedParser{limit: o.RateLimit, rooms: d.rooms})
	// Refused and emptied room namespaces are removed, when roomNamespaces
	// lets the library do it (sio_namespaces.go).
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
	if o.SocketIO.RecoveryWindow > 0 {
		csr := &socket.ConnectionStateRecovery{}
		csr.SetMaxDisconnectionDuration(o.SocketIO.RecoveryWindow.Milliseconds())
		// A recovering client is authenticated again: its token may have expired
		// or its account been deleted meanwhile. (Room namespaces rely on it:
		// every CONNECT passes their middleware.)
		csr.SetSkipMiddlewares(false)
		opts.SetConnectionStateRecovery(csr)
		recovery := recoveryAdapterBuilder{window: o.SocketIO.RecoveryWindow, maxBytes: o.SocketIO.RecoveryMaxBytes}
		if o.ClusterAdapter != nil {
			adapter = clusterRecoveryBuilder{recoveryAdapterBuilder: recovery, base: o.ClusterAdapter}
		} else {
			adapter = recovery
		}
	} else if o.ClusterAdapter != nil {
		adapter = o.ClusterAdapter
	}
	opts.SetAdapter(namespaceBuilder{inner: adapter, rooms: d.rooms})
	d.io = socket.NewServer(nil, opts)
	d.handler = d.io.ServeHandler(nil)
	d.gates.install(d.io.Engine())
	_ = d.io.Engine().On("connection", func(args ...any) {
		if conn, ok := args[0].(engine.Socket); ok {
			releaseRequestWhenDone(conn.Request())
			boundWriteBuffer(conn, o.SocketIO.SendQueue, d.log) // polling's queue (sio_send_queue.go)
			// Only a polling session can upgrade. Added before the upgrade's own
			// "close" listener, so it runs first (wstransport/probe.go).
			if conn.Transport().Name() == transports.POLLING {
				_ = conn.Once("close", func(...any) { websockets.QuietProbes(conn.Id()) })
			}
		}
	})
	if o.Sessions != nil {
		d.handler = d.routeSessions(o.Sessions, d.handler)
	}
	d.handler = d.admitSessions(d.handler)
	// Outermost: an upgrade forwarded to the session's instance is checked here.
	d.handler = refuseForeignUpgrades(o.AllowedOrigins, d.handler)

	for _, name := range []string{"/", "/socket.io"} {
		nsp := d.io.Of(name, nil)
		nsp.Use(d.mainMiddleware)
		nsp.On("connection", d.onMainConnection)
		d.main = append(d.main, nsp)
	}
	d.io.Sockets().On("new_namespace", func(args ...any) {
		if nsp, ok := args[0].(socket.Namespace); ok {
			d.rooms.registered(nsp)
		}
	})
	d.roomParent = d.io.Of(roomNamespacePattern, nil)
	d.roomParent.Use(d.roomMiddleware)
	d.roomParent.On("connection", d.onRoomConnection)
	return d
}

// eventCtx is the context one client event is handled under.
func (d *sioDoor) eventCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(d.ctx, eventTimeout)
}

// roomNamespace returns the per-room namespace of roomID if it exists
// (looking it up through the server would create it).
func (d *sioDoor) roomNamespace(roomID int64) socket.Namespace {
	return d.rooms.live(roomID)
}

// drain closes every Engine.IO connection without a Socket.IO disconnect ("41",
// after which socket.io-client would not reconnect), so clients see their
// transport close and reconnect, to another instance: websocket clients get a
// close frame 1012 (service restart) rather than a cut connection (1006), and a
// pending long-poll GET is answered at once (the engine aborts it).
func (d *sioDoor) drain() {
	d.io.Engine().Clients().Range(func(_ string, conn engine.Socket) bool {
		wstransport.SetCloseReason(conn.Transport(), ws.CloseServiceRestart, drainReason)
		return true
	})
	d.io.Close(nil)
}

// drainReason is the close frame's text for clients of a draining server.
const drainReason = "server restarting, reconnect"

// roomName is the Socket.IO room of a chat room in the main namespaces.
func roomName(roomID int64) socket.Room { return socket.Room(strconv.FormatInt(roomID, 10)) }

// splitArgs separates an event's payload from its ack callback.
func splitArgs(args []any) (payload any, ack socket.Ack) {
	if n := len(args); n > 0 {
		if a, ok := args[n-1].(func([]any, error)); ok {
			ack = a
			args = args[:n-1]
		}
	}
	if len(args) > 0 {
		payload = args[0]
	}
	return payload, ack
}

// fail tells the client what went wrong: an `error` event and an error ack.
func (d *sioDoor) fail(s *socket.Socket, ack socket.Ack, err error) {
	if chat.KindOf(err) == chat.KindInternal {
		d.log.Error("socket event failed", "sid", s.Id(), "nsp", s.Nsp().Name(), "err", err)
	}
	view := errorOf("", err)
	d.emit(s, "error", view)
	if ack != nil {
		ack([]any{map[string]any{"status": "error", "error": view.Message, "message": view.Message, "code": view.Code}}, nil)
	}
}

// refuse ends a CONNECT with a CONNECT_ERROR whose message says why.
func (d *sioDoor) refuse(s *socket.Socket, next func(*socket.ExtendedError), err error) {
	defer d.gates.done(s.Conn().Id())
	msg := chat.PublicMessage(err)
	next(socket.NewExtendedError(msg, map[string]any{"message": msg, "code": errorCode(err)}))
}
