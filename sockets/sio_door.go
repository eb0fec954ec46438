package sockets

import (
	"context"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/zishang520/socket.io/v2/socket"

	"github.com/izpochat/server/chat"
	"github.com/izpochat/server/sockets/events"
	"github.com/izpochat/server/sockets/internal/sio"
)

// eventTimeout bounds the domain work done for one client event.
const eventTimeout = 15 * time.Second

// roomNamespacePattern matches the per-room namespaces "/rooms/<id>".
var roomNamespacePattern = regexp.MustCompile(`^/rooms/([1-9][0-9]{0,17})$`)

// sioDoor is the Socket.IO door: namespaces "/" and "/socket.io" (the
// Flask-SocketIO events) and "/rooms/<id>" (the FastAPI events), translated
// over our Socket.IO layer (sockets/internal/sio).
type sioDoor struct {
	opts    Options
	service *chat.Service
	log     *slog.Logger

	io      *sio.Server
	handler http.Handler
	main    []socket.Namespace
}

func newSIODoor(ctx context.Context, o Options) *sioDoor {
	d := &sioDoor{opts: o, service: o.Service, log: o.Logger.With("door", "socketio")}
	d.io = sio.New(sio.Options{Logger: d.log, Metrics: o.Metrics, SocketIO: o.SocketIO, RateLimit: o.RateLimit,
		WriteTimeout: o.WriteTimeout, Cluster: o.ClusterAdapter, Context: ctx, EventTimeout: eventTimeout,
		RoomNamespaces: roomNamespacePattern, RoomID: namespaceRoomID,
		Fail: d.fail, RateLimited: errRateLimited, Refusal: refusal})
	d.handler = d.io.Handler()
	if o.Sessions != nil {
		d.handler = d.io.RouteSessions(o.Sessions, d.handler)
	}
	d.handler = d.admitSessions(d.handler)
	// Outermost: an upgrade forwarded to the session's instance is checked here.
	d.handler = refuseForeignUpgrades(o.AllowedOrigins, d.handler)

	main := sio.Handlers[mainConn]{Admit: d.admitMain, Connected: d.onMainConnection, Disconnected: d.onMainDisconnect,
		Events: d.mainEvents()}
	for _, name := range []string{"/", "/socket.io"} {
		d.main = append(d.main, sio.Of(d.io, name, main))
	}
	sio.OfRooms(d.io, sio.Handlers[roomConn]{Admit: d.admitRoom, Connected: d.onRoomConnection,
		Disconnected: d.onRoomDisconnect, Events: d.roomEvents()})
	return d
}

// eventCtx is the context one client event is handled under.
func (d *sioDoor) eventCtx() (context.Context, context.CancelFunc) { return d.io.EventContext() }

// drain closes every Engine.IO connection so clients reconnect, to another
// instance (sio.Server.Drain).
func (d *sioDoor) drain() { d.io.Drain(drainReason) }

// drainReason is the close frame's text for clients of a draining server.
const drainReason = "server restarting, reconnect"

// roomName is the Socket.IO room of a chat room in the main namespaces.
func roomName(roomID int64) socket.Room { return socket.Room(strconv.FormatInt(roomID, 10)) }

// fail tells the client what went wrong: an `error` event and an error ack.
func (d *sioDoor) fail(s *socket.Socket, ack socket.Ack, err error) {
	if chat.KindOf(err) == chat.KindInternal {
		d.log.Error("socket event failed", "sid", s.Id(), "nsp", s.Nsp().Name(), "err", err)
	}
	view := errorOf("", err)
	d.io.Emit(s, events.Error, view)
	if ack != nil {
		ack([]any{map[string]any{"status": "error", "error": view.Message, "message": view.Message, "code": view.Code}}, nil)
	}
}

// refusal is the CONNECT_ERROR of a refused CONNECT: its message says why.
func refusal(err error) *socket.ExtendedError {
	msg := chat.PublicMessage(err)
	return socket.NewExtendedError(msg, map[string]any{"message": msg, "code": errorCode(err)})
}
