package sockets

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	ws "github.com/gorilla/websocket"

	"github.com/izpochat/server/chat"
	"github.com/izpochat/server/config"
	"github.com/izpochat/server/sockets/events"
	"github.com/izpochat/server/sockets/internal/ratelimit"
)

// rawDoor is the FastAPI generation's raw WebSocket door, /api/ws/{room_id}?token=.
type rawDoor struct {
	opts     Options
	service  *chat.Service
	log      *slog.Logger
	ctx      context.Context
	upgrader ws.Upgrader
	nextID   atomic.Int64

	mu       sync.RWMutex
	rooms    map[int64]map[*rawConn]struct{}
	users    map[int64]map[*rawConn]struct{} // the same connections by user (door_users.go)
	draining bool
}

func newRawDoor(ctx context.Context, o Options) *rawDoor {
	d := &rawDoor{opts: o, service: o.Service, log: o.Logger.With("door", "websocket"), ctx: ctx,
		rooms: make(map[int64]map[*rawConn]struct{}), users: make(map[int64]map[*rawConn]struct{})}
	d.upgrader = ws.Upgrader{
		ReadBufferSize:  4096,
		WriteBufferSize: 4096,
		// A refused origin gets the upgrader's 403.
		CheckOrigin: func(r *http.Request) bool { return config.OriginAllowed(o.AllowedOrigins, r.Header.Get("Origin")) },
	}
	return d
}

// pathRoomID reads {room_id} from /api/ws/{room_id}.
func pathRoomID(path string) (int64, bool) {
	rest, ok := strings.CutPrefix(strings.TrimSuffix(path, "/"), "/api/ws/")
	if !ok || rest == "" || strings.Contains(rest, "/") {
		return 0, false
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	return id, err == nil && id > 0
}

func (d *rawDoor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !ws.IsWebSocketUpgrade(r) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":"websocket upgrade required","detail":"websocket upgrade required"}`))
		return
	}
	if !admitConnection(d.opts, w, r) {
		return
	}
	conn, err := d.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered
	}
	token := r.URL.Query().Get("token")
	if token == "" {
		token = r.Header.Get("Authorization")
	}
	roomID, ok := pathRoomID(r.URL.Path)
	ctx, cancel := context.WithTimeout(d.ctx, eventTimeout)
	defer cancel()
	actor, err := d.service.Authenticate(ctx, token)
	switch {
	case err != nil:
		refuseRaw(conn, chat.PublicMessage(err))
		return
	case !ok:
		refuseRaw(conn, "invalid room id")
		return
	}
	c := &rawConn{
		id: "ws:" + strconv.FormatInt(d.nextID.Add(1), 10), roomID: roomID, actor: actor, conn: conn,
		limit: ratelimit.New(d.opts.RateLimit.EventsPerSecond, d.opts.RateLimit.Burst), log: d.log,
		writeTimeout: d.opts.WriteTimeout, out: make(chan []byte, d.opts.SocketIO.SendQueue), done: make(chan struct{}),
	}
	// Registered before entering so no event published from then on is missed.
	if !d.register(c) {
		refuseRaw(conn, "server restarting")
		return
	}
	online, err := d.service.EnterRoom(ctx, actor, roomID, c.id)
	if err != nil {
		d.unregister(c)
		refuseRaw(conn, chat.PublicMessage(err))
		return
	}
	go c.writeLoop(d.opts.SocketIO.PingInterval)
	d.opts.Metrics.SocketConnected("raw", rawMetricsPath)
	defer d.opts.Metrics.SocketDisconnected("raw", rawMetricsPath)
	d.sendCounted(c, events.Welcome, welcomeView{Type: events.Welcome, Message: "Connected to room " + strconv.FormatInt(roomID, 10),
		RoomID: roomID, UserID: actor.ID, Username: actor.Username, Timestamp: now()})
	d.sendCounted(c, events.UsersOnline, onlineOf(events.UsersOnline, roomID, online))

	d.readLoop(c)

	d.unregister(c)
	c.closeWith(ws.CloseNormalClosure, "")
	exitCtx, exitCancel := context.WithTimeout(context.WithoutCancel(d.ctx), eventTimeout)
	defer exitCancel()
	d.service.ExitRoom(exitCtx, actor, roomID, c.id, false)
}

// rawMetricsPath labels the raw door's connections in metrics (room ids folded).
const rawMetricsPath = "/api/ws/{room_id}"

// refuseRaw closes a just-upgraded connection with 1008 and the reason.
func refuseRaw(conn *ws.Conn, reason string) {
	if len(reason) > 120 { // a close frame's reason must fit in 123 bytes
		reason = reason[:120]
	}
	_ = conn.WriteControl(ws.CloseMessage, ws.FormatCloseMessage(ws.ClosePolicyViolation, reason), time.Now().Add(time.Second))
	_ = conn.Close()
}

func (d *rawDoor) register(c *rawConn) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.draining {
		return false
	}
	set := d.rooms[c.roomID]
	if set == nil {
		set = make(map[*rawConn]struct{})
		d.rooms[c.roomID] = set
	}
	set[c] = struct{}{}
	d.addUser(c)
	return true
}

func (d *rawDoor) unregister(c *rawConn) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if set := d.rooms[c.roomID]; set != nil {
		delete(set, c)
		if len(set) == 0 {
			delete(d.rooms, c.roomID)
		}
	}
	d.dropUser(c)
}

// readLoop handles the client's frames until it goes away or is dropped.
func (d *rawDoor) readLoop(c *rawConn) {
	c.conn.SetReadLimit(d.opts.SocketIO.MaxPayload)
	deadline := d.opts.SocketIO.PingInterval + d.opts.SocketIO.PingTimeout
	_ = c.conn.SetReadDeadline(time.Now().Add(deadline))
	c.conn.SetPongHandler(func(string) error { return c.conn.SetReadDeadline(time.Now().Add(deadline)) })
	go func() {
		// A dropped client (queue overflow, drain) must stop the reader too.
		<-c.done
		_ = c.conn.SetReadDeadline(time.Now())
	}()
	for {
		kind, data, err := c.conn.ReadMessage()
		if err != nil {
			if ce, ok := err.(*ws.CloseError); ok && ce.Code == ws.CloseMessageTooBig {
				c.closeWith(ws.CloseMessageTooBig, "message too big")
			}
			return
		}
		_ = c.conn.SetReadDeadline(time.Now().Add(deadline))
		if kind != ws.TextMessage && kind != ws.BinaryMessage {
			continue
		}
		d.handleFrame(c, data)
	}
}

func (d *rawDoor) handleFrame(c *rawConn, data []byte) {
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil || m == nil {
		d.opts.Metrics.EventIn("") // counted as "other"
		d.sendError(c, chat.Invalid("invalid JSON: expected an object with a type"))
		return
	}
	kind, _ := m["type"].(string)
	untyped := m["type"] == nil // absent or null
	if untyped && (m["content"] != nil || m["file_id"] != nil) {
		// The FastAPI server took a frame without a type as a message.
		kind = events.Message
	}
	d.opts.Metrics.EventIn(kind)
	if !c.limit.Allow() {
		d.sendError(c, errRateLimited)
		return
	}
	if kind == "" && untyped {
		d.sendError(c, chat.Invalid("a frame needs a type (message, typing or ping), or content to send as a message"))
		return
	}
	ctx, cancel := context.WithTimeout(d.ctx, eventTimeout)
	defer cancel()
	switch kind {
	case events.Message:
		in, err := postInput(m)
		if err == nil {
			_, err = d.service.PostMessage(ctx, c.actor, c.roomID, in)
		}
		if err != nil {
			d.sendError(c, err)
		}
	case events.Typing:
		if err := d.service.Typing(ctx, c.actor, c.roomID, typingFlag(m), c.id); err != nil {
			d.sendError(c, err)
		}
	case events.Edit, events.Delete: // issue 23 (door_groups.go)
		edit := d.rawEdit
		if kind == events.Delete {
			edit = d.rawDelete
		}
		if err := edit(ctx, c, m); err != nil {
			d.sendError(c, err)
		}
	case events.Read: // issue 23.5 (door_reads.go)
		if err := d.rawRead(ctx, c, m); err != nil {
			d.sendError(c, err)
		}
	case events.React, events.Unreact: // issue 23.4 (door_reactions.go)
		if err := d.rawReact(ctx, c, m, kind == events.React); err != nil {
			d.sendError(c, err)
		}
	case events.Ping:
		d.sendCounted(c, events.Pong, map[string]any{"type": events.Pong, "user_id": c.actor.ID, "timestamp": now()})
	default:
		d.sendError(c, chat.Invalid("unknown message type %q", kind))
	}
}

// sendCounted queues one frame of the given type for c and counts it.
func (d *rawDoor) sendCounted(c *rawConn, kind string, v any) {
	c.sendJSON(v)
	d.opts.Metrics.EventOut(kind)
}

func (d *rawDoor) sendError(c *rawConn, err error) {
	d.sendCounted(c, events.Error, errorOf(events.Error, err))
}

// render delivers one hub event to this instance's raw clients of the room.
func (d *rawDoor) render(ev chat.Event) {
	var view any
	var kind string
	switch ev.Type {
	case chat.EventMessage:
		if ev.Message == nil {
			return
		}
		view, kind = ev.Message, events.Message
	case chat.EventTyping:
		view, kind = typingOf(events.Typing, ev), events.Typing
	case chat.EventUserJoined:
		view, kind = presenceOf(events.UserJoined, ev), events.UserJoined
	case chat.EventUserLeft:
		view, kind = presenceOf(events.UserLeft, ev), events.UserLeft
	case chat.EventAccessChanged, chat.EventSessionsEnded:
		d.revoke(ev)
		return
	default:
		if name, _, typed, ok := userViews(ev); ok { // to a user only (door_users.go)
			d.toUser(ev, name, typed)
			return
		}
		// issue 23's events (door_groups.go)
		name, _, typed, ok := groupViews(ev)
		if !ok {
			return
		}
		view, kind = typed, name
		if ev.ToUser != 0 { // member_added: the added user's other connections too
			d.toUser(ev, name, typed)
		}
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	sent := d.sendEach(d.rooms[ev.RoomID], func(c *rawConn) bool { return c.id == ev.ExceptConn }, ev, view)
	// Counted once per broadcast, like the Socket.IO door.
	if sent {
		d.opts.Metrics.EventOut(kind)
		if ev.Type == chat.EventMessage {
			observeDelivery(d.opts.Metrics, ev.Message)
		}
	}
}

// sendEach sends view to every connection of conns that skip leaves in, and
// reports whether any got it. It is encoded once, and only when someone here
// receives it: most rooms have no raw client, and every message of every room
// comes through here. Callers hold d.mu (read).
func (d *rawDoor) sendEach(conns map[*rawConn]struct{}, skip func(*rawConn) bool, ev chat.Event, view any) bool {
	var frame []byte
	for c := range conns {
		if skip(c) {
			continue
		}
		if frame == nil {
			var err error
			if frame, err = json.Marshal(view); err != nil {
				d.log.Error("encode raw websocket event", "type", ev.Type, "err", err)
				return false
			}
		}
		c.send(frame)
	}
	return frame != nil
}

// drain closes every raw client with 1012 (service restart) so it reconnects.
func (d *rawDoor) drain() {
	d.mu.Lock()
	d.draining = true
	var all []*rawConn
	for _, set := range d.rooms {
		for c := range set {
			all = append(all, c)
		}
	}
	d.mu.Unlock()
	for _, c := range all {
		c.closeWith(ws.CloseServiceRestart, drainReason)
	}
}
