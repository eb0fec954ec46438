package redisadapter

import (
	"encoding/json"
	"fmt"
	"sync"

	"github.com/zishang520/engine.io/v2/types"
	"github.com/zishang520/socket.io/v2/adapter"
	"github.com/zishang520/socket.io/v2/socket"
)

// redisAdapter is the adapter of one namespace. The library's ClusterAdapter does
// the socket.io work (apply broadcasts, joins, fetches locally, answer requests);
// this type maps its messages to and from the Node redis adapter's wire format.
type redisAdapter struct {
	adapter.ClusterAdapter
	f *Adapter

	channel, pattern                string
	requestChannel, responseChannel string
	specificResponseChannel         string

	mu      sync.Mutex
	pending map[string]*pendingRequest
}

func newRedisAdapter(f *Adapter, nsp socket.Namespace) *redisAdapter {
	a := &redisAdapter{ClusterAdapter: adapter.MakeClusterAdapter(), f: f, pending: map[string]*pendingRequest{}}
	a.Prototype(a)
	a.Construct(nsp)
	name := nsp.Name()
	a.channel = f.key + "#" + name + "#"
	a.pattern = globEscape(a.channel) + "*"
	a.requestChannel = f.key + "-request#" + name + "#"
	a.responseChannel = f.key + "-response#" + name + "#"
	a.specificResponseChannel = a.responseChannel + string(a.Uid()) + "#"
	return a
}

func (a *redisAdapter) subscribedChannels() []string {
	return []string{a.requestChannel, a.responseChannel, a.specificResponseChannel}
}

func (a *redisAdapter) Close() {
	a.f.forget(a)
	a.failPending(fmt.Errorf("adapter closed"))
}

func (a *redisAdapter) ServerCount() int64 { return a.f.serverCount(a.requestChannel) }

// request is what goes on the request channel, in either direction.
type request struct {
	UID       string      `json:"uid" msgpack:"uid"`
	RequestID *string     `json:"requestId,omitempty" msgpack:"requestId,omitempty"`
	Type      int         `json:"type" msgpack:"type"`
	Opts      *wireOpts   `json:"opts,omitempty" msgpack:"opts,omitempty"`
	Rooms     []string    `json:"rooms,omitempty" msgpack:"rooms,omitempty"`
	Close     bool        `json:"close,omitempty" msgpack:"close,omitempty"`
	Data      []any       `json:"data,omitempty" msgpack:"data,omitempty"`
	Packet    *wirePacket `json:"packet,omitempty" msgpack:"packet,omitempty"`
	// Legacy single-socket forms of join/leave/disconnect.
	SID  string `json:"sid,omitempty" msgpack:"sid,omitempty"`
	Room string `json:"room,omitempty" msgpack:"room,omitempty"`
}

// response is what goes on the response channels.
type response struct {
	Type        *int     `json:"type,omitempty" msgpack:"type,omitempty"`
	RequestID   string   `json:"requestId" msgpack:"requestId"`
	Sockets     []any    `json:"sockets,omitempty" msgpack:"sockets,omitempty"`
	Rooms       []string `json:"rooms,omitempty" msgpack:"rooms,omitempty"`
	Data        any      `json:"data,omitempty" msgpack:"data,omitempty"`
	ClientCount *uint64  `json:"clientCount,omitempty" msgpack:"clientCount,omitempty"`
	Packet      any      `json:"packet,omitempty" msgpack:"packet,omitempty"`
}

// DoPublish sends a message of the ClusterAdapter base in the Node wire format.
// It never fails: the base skips the local part of a broadcast when publishing
// fails, and this server's clients must be served even while Redis is down
// (the failure is logged by the publisher).
func (a *redisAdapter) DoPublish(m *adapter.ClusterMessage) (adapter.Offset, error) {
	_ = a.publishMessage(m)
	return "", nil
}

// publishMessage is DoPublish with the error, for requests that wait for answers.
func (a *redisAdapter) publishMessage(m *adapter.ClusterMessage) error {
	uid := string(a.Uid())
	switch d := m.Data.(type) {
	case *adapter.BroadcastMessage:
		packet := packetToWire(d.Packet)
		// The base publishes before it stamps the namespace on the packet; Node
		// drops packets of another namespace.
		packet.Nsp = a.Nsp().Name()
		opts := optsToWire(d.Opts)
		if d.RequestId == nil {
			body, err := encodeMsgpack([]any{uid, packet, opts})
			if err != nil {
				return fmt.Errorf("encode broadcast: %w", err)
			}
			channel := a.channel
			if len(opts.Rooms) == 1 {
				channel += opts.Rooms[0] + "#"
			}
			return a.f.publish(channel, body)
		}
		return a.sendRequest(request{UID: uid, RequestID: d.RequestId, Type: reqBroadcast, Packet: &packet, Opts: &opts}, true)
	case *adapter.SocketsJoinLeaveMessage:
		t := reqRemoteJoin
		if m.Type == adapter.SOCKETS_LEAVE {
			t = reqRemoteLeave
		}
		opts := optsToWire(d.Opts)
		rooms := make([]string, 0, len(d.Rooms))
		for _, r := range d.Rooms {
			rooms = append(rooms, string(r))
		}
		return a.sendRequest(request{UID: uid, Type: t, Opts: &opts, Rooms: rooms}, false)
	case *adapter.DisconnectSocketsMessage:
		opts := optsToWire(d.Opts)
		return a.sendRequest(request{UID: uid, Type: reqRemoteDisconnect, Opts: &opts, Close: d.Close}, false)
	case *adapter.ServerSideEmitMessage:
		return a.sendRequest(request{UID: uid, Type: reqServerSideEmit, Data: plainSlice(d.Packet), RequestID: d.RequestId}, false)
	case *adapter.FetchSocketsMessage:
		opts := optsToWire(d.Opts)
		id := d.RequestId
		return a.sendRequest(request{UID: uid, RequestID: &id, Type: reqRemoteFetch, Opts: &opts}, false)
	}
	// Heartbeats and the like have no counterpart in this protocol.
	return nil
}

// DoPublishResponse answers a request of another server on its own response channel.
func (a *redisAdapter) DoPublishResponse(requester adapter.ServerId, m *adapter.ClusterResponse) error {
	var r response
	binary := false
	switch d := m.Data.(type) {
	case *adapter.FetchSocketsResponse:
		r.RequestID = d.RequestId
		r.Sockets = []any{}
		for _, s := range d.Sockets {
			r.Sockets = append(r.Sockets, socketToWire(adapter.NewRemoteSocket(s)))
		}
	case *adapter.ServerSideEmitResponse:
		r.Type, r.RequestID = intPtr(reqServerSideEmit), d.RequestId
		// Node acknowledgements carry one argument.
		if len(d.Packet) > 0 {
			r.Data = plain(d.Packet[0])
		}
	case *adapter.BroadcastClientCount:
		count := d.ClientCount
		r.Type, r.RequestID, r.ClientCount = intPtr(reqBroadcastCount), d.RequestId, &count
	case *adapter.BroadcastAck:
		r.Type, r.RequestID = intPtr(reqBroadcastAck), d.RequestId
		if len(d.Packet) > 0 {
			r.Packet = plain(d.Packet[0])
		}
		binary = true
	default:
		return fmt.Errorf("unsupported response type %d", m.Type)
	}
	body, err := encodeBody(r, binary)
	if err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	return a.f.publish(a.responseChannel+string(requester)+"#", body)
}

// sendRequest publishes on the request channel: JSON like Node, or MessagePack
// when the payload may carry binary (broadcast with ack).
func (a *redisAdapter) sendRequest(r request, binary bool) error {
	body, err := encodeBody(r, binary)
	if err != nil {
		return fmt.Errorf("encode request: %w", err)
	}
	return a.f.publish(a.requestChannel, body)
}

func encodeBody(v any, binary bool) ([]byte, error) {
	if binary {
		return encodeMsgpack(v)
	}
	return json.Marshal(v)
}

// onBroadcast applies a broadcast of another server to the local sockets.
func (a *redisAdapter) onBroadcast(channel string, body []byte) {
	if room := channel[len(a.channel):]; room != "" {
		// <channel><room># : skip rooms nobody here is in.
		room = room[:len(room)-1]
		if _, ok := a.Rooms().Load(socket.Room(room)); !ok {
			return
		}
	}
	var msg []msgpackRaw
	if err := decodeWire(body, &msg); err != nil || len(msg) < 3 {
		a.f.log.Debug("ignoring malformed broadcast", "err", err)
		return
	}
	var uid string
	var packet wirePacket
	var opts wireOpts
	if decodeRaw(msg[0], &uid) != nil || decodeRaw(msg[1], &packet) != nil || decodeRaw(msg[2], &opts) != nil {
		a.f.log.Debug("ignoring malformed broadcast")
		return
	}
	if packet.Nsp == "" {
		packet.Nsp = "/"
	}
	p := packetFromWire(packet, a.Nsp().Name())
	if p == nil || packet.Nsp != a.Nsp().Name() {
		return
	}
	o := optsFromWire(&opts)
	if o.Flags != nil {
		o.Flags.Local = false
	}
	a.OnMessage(&adapter.ClusterMessage{Uid: adapter.ServerId(uid), Nsp: packet.Nsp, Type: adapter.BROADCAST,
		Data: &adapter.BroadcastMessage{Packet: p, Opts: o}}, "")
}

// onRequest handles a request of another server (our own come back too: ignored).
func (a *redisAdapter) onRequest(body []byte) {
	var r request
	if err := decodeWire(body, &r); err != nil {
		a.f.log.Debug("ignoring malformed request", "err", err)
		return
	}
	if r.UID == string(a.Uid()) {
		return
	}
	from := adapter.ServerId(r.UID)
	msg := &adapter.ClusterMessage{Uid: from, Nsp: a.Nsp().Name()}
	switch r.Type {
	case reqSockets:
		sids := a.Sockets(types.NewSet(toRooms(r.Rooms)...))
		ids := []any{}
		for _, id := range sids.Keys() {
			ids = append(ids, string(id))
		}
		a.respondJSON(r.UID, response{RequestID: deref(r.RequestID), Sockets: ids})
		return
	case reqAllRooms:
		rooms := []string{}
		a.Rooms().Range(func(room socket.Room, _ *types.Set[socket.SocketId]) bool {
			rooms = append(rooms, string(room))
			return true
		})
		a.respondJSON(r.UID, response{RequestID: deref(r.RequestID), Rooms: rooms})
		return
	case reqRemoteJoin, reqRemoteLeave, reqRemoteDisconnect:
		if r.Opts == nil {
			a.onLegacySocketRequest(r)
			return
		}
		switch r.Type {
		case reqRemoteJoin:
			msg.Type, msg.Data = adapter.SOCKETS_JOIN, &adapter.SocketsJoinLeaveMessage{Opts: optsFromWire(r.Opts), Rooms: toRooms(r.Rooms)}
		case reqRemoteLeave:
			msg.Type, msg.Data = adapter.SOCKETS_LEAVE, &adapter.SocketsJoinLeaveMessage{Opts: optsFromWire(r.Opts), Rooms: toRooms(r.Rooms)}
		default:
			msg.Type, msg.Data = adapter.DISCONNECT_SOCKETS, &adapter.DisconnectSocketsMessage{Opts: optsFromWire(r.Opts), Close: r.Close}
		}
	case reqRemoteFetch:
		if r.RequestID == nil {
			return
		}
		msg.Type, msg.Data = adapter.FETCH_SOCKETS, &adapter.FetchSocketsMessage{Opts: optsFromWire(r.Opts), RequestId: *r.RequestID}
	case reqServerSideEmit:
		if len(r.Data) == 0 {
			return
		}
		msg.Type, msg.Data = adapter.SERVER_SIDE_EMIT, &adapter.ServerSideEmitMessage{RequestId: r.RequestID, Packet: r.Data}
	case reqBroadcast:
		if r.RequestID == nil || r.Packet == nil {
			return
		}
		p := packetFromWire(*r.Packet, a.Nsp().Name())
		if p == nil {
			return
		}
		msg.Type, msg.Data = adapter.BROADCAST, &adapter.BroadcastMessage{Packet: p, Opts: optsFromWire(r.Opts), RequestId: r.RequestID}
	default:
		return
	}
	a.OnMessage(msg, "")
}

// onLegacySocketRequest handles join/leave/disconnect of one socket by id, which
// old Node adapters sent (remoteJoin etc.).
func (a *redisAdapter) onLegacySocketRequest(r request) {
	s, ok := a.Nsp().Sockets().Load(socket.SocketId(r.SID))
	if !ok {
		return
	}
	switch r.Type {
	case reqRemoteJoin:
		s.Join(socket.Room(r.Room))
	case reqRemoteLeave:
		s.Leave(socket.Room(r.Room))
	default:
		s.Disconnect(r.Close)
	}
	a.respondJSON(r.UID, response{RequestID: deref(r.RequestID)})
}

func (a *redisAdapter) respondJSON(requester string, r response) {
	body, err := json.Marshal(r)
	if err != nil {
		return
	}
	_ = a.f.publish(a.responseChannel+requester+"#", body)
}

// onResponse takes a response to one of our requests.
func (a *redisAdapter) onResponse(body []byte) {
	var r response
	if err := decodeWire(body, &r); err != nil {
		a.f.log.Debug("ignoring malformed response", "err", err)
		return
	}
	if r.Type != nil {
		switch *r.Type {
		case reqBroadcastCount:
			if r.ClientCount != nil {
				a.OnResponse(&adapter.ClusterResponse{Type: adapter.BROADCAST_CLIENT_COUNT,
					Data: &adapter.BroadcastClientCount{RequestId: r.RequestID, ClientCount: *r.ClientCount}})
			}
			return
		case reqBroadcastAck:
			a.OnResponse(&adapter.ClusterResponse{Type: adapter.BROADCAST_ACK,
				Data: &adapter.BroadcastAck{RequestId: r.RequestID, Packet: []any{r.Packet}}})
			return
		}
	}
	a.resolve(r)
}

func toRooms(rs []string) []socket.Room {
	out := make([]socket.Room, 0, len(rs))
	for _, r := range rs {
		out = append(out, socket.Room(r))
	}
	return out
}

func plainSlice(xs []any) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = plain(x)
	}
	return out
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func intPtr(i int) *int { return &i }
