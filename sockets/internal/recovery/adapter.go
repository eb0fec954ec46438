package recovery

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/zishang520/engine.io/v2/types"
	"github.com/zishang520/socket.io-go-parser/v2/parser"
	"github.com/zishang520/socket.io/v2/socket"

	"github.com/izpochat/server/config"
)

// Builder builds our connection-state-recovery adapter (a
// socket.AdapterConstructor). The library's own (SessionAwareAdapter) cannot be
// used: under Go 1.25+ its constructor panics (utils.Timer.Unref passes
// runtime.AddCleanup a cleanup that closes over its pointer). Ours also keeps
// the recovery offset away from legacy clients, for which it would be an
// unexpected extra event argument.
type Builder struct {
	Window time.Duration
	// MaxPackets bounds the packets kept per namespace (0: defaultMaxKeptPackets),
	// so a busy server keeps a bounded history whatever the window.
	MaxPackets int
	// MaxBytes bounds the bytes they hold, per namespace (0:
	// defaultRecoveryMaxBytes): large messages must not multiply the count's
	// bound by their size.
	MaxBytes int
	// Base is the adapter recovery is built over (nil: the library's in-memory
	// one). With the cluster adapter, the doors' hub emits are local, so every
	// instance records every chat event for its own clients: a client that
	// reconnects to the same instance recovers without loss; on another its
	// session is unknown and it connects afresh (recovered=false).
	Base socket.AdapterConstructor
}

// defaultMaxKeptPackets keeps about 15 s of a server broadcasting 2,000
// messages/s: enough for a client's brief drop, bounded in memory.
const defaultMaxKeptPackets = 32768

// defaultRecoveryMaxBytes bounds each namespace's kept packets at 16 MiB when
// none is configured (SOCKETIO_RECOVERY_MAX_MB sets it). A usual chat
// message's frame is a few hundred bytes, so the count bound (32,768) is
// reached first and recovery is as before; only large messages (up to MAX_MESSAGE_LENGTH, whose
// frames reach tens of KiB) meet it, and there it turns a worst case of
// 32,768 x 30 KiB ~ 1 GiB per namespace into 16 MiB. Per namespace, not in
// total: a busy namespace cannot evict a quiet one's history, and a namespace
// keeps packets only while it has members or disconnected sessions. Every
// room's events share "/" and "/socket.io" (32 MiB together); a "/rooms/<id>"
// namespace, used only by clients of the FastAPI generation, adds its own 16
// MiB while it has members. A session whose missed packets were evicted connects
// non-recovered, and the client fetches the history.
const defaultRecoveryMaxBytes = config.DefaultRecoveryMaxMB << 20

func (b Builder) New(nsp socket.Namespace) socket.Adapter {
	var prefix [4]byte
	_, _ = rand.Read(prefix[:])
	limit := b.MaxPackets
	if limit <= 0 {
		limit = defaultMaxKeptPackets
	}
	maxBytes := b.MaxBytes
	if maxBytes <= 0 {
		maxBytes = defaultRecoveryMaxBytes
	}
	var base socket.Adapter
	if b.Base != nil {
		base = b.Base.New(nsp)
	} else {
		base = socket.NewAdapter(nsp)
	}
	return &recoveryAdapter{Adapter: base, nsp: nsp, name: nsp.Name(), window: b.Window, maxPackets: limit,
		maxBytes: maxBytes, prefix: hex.EncodeToString(prefix[:]) + "-", sessions: newKeptSessions(),
		legacy: map[socket.SocketId]*socket.Socket{}}
}

// recoveryAdapter is the in-memory adapter plus what recovery needs: the
// sessions of recently disconnected sockets and the packets broadcast during
// the recovery window, each stamped with an offset.
type recoveryAdapter struct {
	socket.Adapter
	nsp        socket.Namespace
	name       string // nsp's, read once (the frames and packets carry it)
	window     time.Duration
	maxPackets int
	maxBytes   int    // bound of kept.bytes (0: none)
	prefix     string // makes offsets of another adapter or instance unrecognisable

	// mu orders recording and sending, so clients receive packets in offset order.
	mu       sync.Mutex
	seq      uint64
	kept     packetQueue // ascending seq, none older than window, at most maxPackets and maxBytes
	frames   frameEncoder
	sessions keptSessions

	// legacyMu guards legacy: the connected sockets of EIO=3/Python clients,
	// which must get broadcasts without the offset. Usually empty, so a
	// broadcast needs no per-recipient look at who is legacy.
	legacyMu sync.Mutex
	legacy   map[socket.SocketId]*socket.Socket

	// pruneTimer drops what outlived the window when no broadcast comes to do
	// it (an idle server); nil while nothing is kept. Guarded by mu.
	pruneTimer *time.Timer

	members memberCache // who a broadcast to one room reaches (members.go)

	// closed: the namespace was removed (sockets/internal/namespaces); nothing is kept
	// any more. Guarded by mu.
	closed bool
	// sessionsExpired, for a room namespace, asks its registry whether the
	// namespace is still needed once the last kept session has expired
	// (OnSessionsExpired). Set before the namespace is registered.
	sessionsExpired func()
}

type keptPacket struct {
	seq    uint64
	at     int64  // when it was sent, unix nanoseconds
	frame  []byte // the websocket frame sent (frame.go)
	data   []any  // the arguments themselves, only when frame is nil
	rooms  []socket.Room
	except []socket.Room
	argsAt int32 // where in frame the arguments start
	size   int32 // the bytes it holds, about (keptSize)
}

type keptSession struct {
	session *socket.SessionToPersist
	at      time.Time
}

func (a *recoveryAdapter) Broadcast(p *parser.Packet, opts *socket.BroadcastOptions) {
	a.broadcast(p, opts, true)
}

// broadcast sends an event as Broadcast does; keep false leaves it out of the
// recovery buffer (BroadcastLive): it is stamped with an offset and sent in
// offset order all the same, but no recovering socket gets it replayed.
func (a *recoveryAdapter) broadcast(p *parser.Packet, opts *socket.BroadcastOptions, keep bool) {
	data, isList := p.Data.([]any)
	volatile := opts != nil && opts.Flags != nil && opts.Flags.Volatile
	if p.Type != parser.EVENT || p.Id != nil || volatile || !isList {
		a.Adapter.Broadcast(p, opts)
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return // a hub event rendered as the namespace was removed: nobody is left
	}
	local := opts != nil && opts.Flags != nil && opts.Flags.Local
	to := audienceOf(opts)
	if local && (a.sessions.len() == 0 || !keep) && !a.anyMember(to) {
		// Nobody here receives it, and nobody could recover it: sockets that
		// join later start after it, and no disconnected one is kept. (The
		// hub's events reach every namespace, most of them empty.)
		return
	}
	legacy := a.legacyTargets(opts)
	if len(legacy) > 0 {
		plain := *p
		plain.Nsp = a.name
		encoded := a.nsp.Server().Encoder().Encode(&plain)
		wopts := &socket.WriteOptions{}
		if opts != nil && opts.Flags != nil {
			wopts.Compress = opts.Flags.Compress
		}
		for _, s := range legacy {
			s.Client().WriteToEngine(encoded, wopts)
		}
		opts = withExcept(opts, legacy)
		to = audienceOf(opts)
	}
	var offset string
	var frame []byte
	if keep {
		offset, frame = a.record(data, to)
	} else {
		offset, frame = a.stampLive(data)
	}
	if !local && !a.toOwnSocket(to) {
		// May reach other instances (cluster adapter): the base adapter's path.
		a.Adapter.Broadcast(stamp(p, data, offset), opts)
		return
	}
	// Hub events and a socket's own emits: this instance's sockets only.
	if frame == nil {
		stamped := stamp(p, data, offset)
		stamped.Nsp = a.name
		a.fanOutEncoded(a.nsp.Server().Encoder().Encode(stamped), opts, to)
		return
	}
	a.fanOut(frame, opts, to)
}

// audience is a broadcast's rooms and exceptions, read from its options once:
// every Keys call copies a set under its lock.
type audience struct {
	rooms, except []socket.Room
}

func audienceOf(opts *socket.BroadcastOptions) audience {
	var to audience
	if opts == nil {
		return to
	}
	// Keys copies even an empty set: skipped for the usual empty Except.
	if opts.Rooms != nil && opts.Rooms.Len() > 0 {
		to.rooms = opts.Rooms.Keys()
	}
	if opts.Except != nil && opts.Except.Len() > 0 {
		to.except = opts.Except.Keys()
	}
	return to
}

// stamp is a copy of p with the recovery offset as one more argument.
func stamp(p *parser.Packet, data []any, offset string) *parser.Packet {
	stamped := *p
	stamped.Data = append(append(make([]any, 0, len(data)+1), data...), offset)
	return &stamped
}

// toOwnSocket reports whether a broadcast addresses exactly one socket of this
// instance by its own room and excludes nobody: how the library sends a
// socket's own Emit (message_sent, errors) when recovery is on. The socket is
// here, so the packet needs neither the cluster nor the base adapter's
// per-packet work.
func (a *recoveryAdapter) toOwnSocket(to audience) bool {
	if len(to.rooms) != 1 || len(to.except) > 0 {
		return false
	}
	_, ok := a.nsp.Sockets().Load(socket.SocketId(to.rooms[0]))
	return ok
}

// record keeps the packet for recovery and returns its offset and its frame,
// nil when it has to be sent as the library encodes it (frame.go): then
// the packet is kept as data.
func (a *recoveryAdapter) record(data []any, to audience) (offset string, frame []byte) {
	now := time.Now()
	a.seq++
	offset = a.offsetOf(a.seq)
	k := keptPacket{seq: a.seq, at: now.UnixNano()}
	frame, argsAt, ok := a.frames.encode(a.name, data, offset)
	if ok {
		k.frame, k.argsAt = frame, int32(argsAt)
	} else {
		k.data = data
	}
	k.rooms, k.except = to.rooms, to.except
	k.size = keptSize(&k)
	a.kept.makeRoom(int(k.size), a.maxBytes)
	a.kept.push(k, a.maxPackets)
	a.kept.dropOld(now.Add(-a.window), a.maxPackets)
	a.schedulePrune()
	return offset, k.frame
}

// stampLive gives a live-only packet the next offset (so the client's offsets
// stay in order) and its frame (nil when the library must encode it), and
// keeps nothing: no recovering socket gets it replayed, and a session whose
// last packet was it or came before it is not taken for one with a gap
// (packetQueue.dropped counts only kept packets).
func (a *recoveryAdapter) stampLive(data []any) (offset string, frame []byte) {
	a.seq++
	offset = a.offsetOf(a.seq)
	frame, _, _ = a.frames.encode(a.name, data, offset)
	return offset, frame
}

// anyMember reports whether any local socket is in one of the broadcast's rooms
// (any socket at all when it names none). Exceptions are ignored: at worst a
// packet nobody receives is kept. Callers hold a.mu.
func (a *recoveryAdapter) anyMember(to audience) bool {
	if len(to.rooms) == 0 {
		found := false
		a.Sids().Range(func(socket.SocketId, *types.Set[socket.Room]) bool {
			found = true
			return false
		})
		return found
	}
	rooms := a.Rooms()
	for _, room := range to.rooms {
		if ids, ok := rooms.Load(room); ok && ids.Len() > 0 {
			return true
		}
	}
	return false
}

// OnSessionsExpired makes f run whenever the last kept session of the
// namespace has expired (without the adapter's lock held): the namespace's
// registry may then remove it. Called by the namespace's builder, before the
// namespace is in use.
func (a *recoveryAdapter) OnSessionsExpired(f func()) { a.sessionsExpired = f }

// schedulePrune makes sure expired packets and sessions are dropped within a
// window even if nothing is broadcast any more. Callers hold a.mu.
func (a *recoveryAdapter) schedulePrune() {
	if a.pruneTimer == nil && a.window > 0 {
		a.pruneTimer = time.AfterFunc(a.window, a.prune)
	}
}

// prune drops what is older than the window, and runs again a window later
// while anything is still kept. When the last kept session expires, the
// namespace may no longer be needed (asked without a.mu held).
func (a *recoveryAdapter) prune() {
	if a.pruneKept() && a.sessionsExpired != nil {
		a.sessionsExpired()
	}
}

// pruneKept is prune under a.mu; it reports whether sessions were kept and
// none is left.
func (a *recoveryAdapter) pruneKept() (sessionsGone bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return false
	}
	now := time.Now()
	a.kept.dropOld(now.Add(-a.window), a.maxPackets)
	had := a.sessions.len() > 0
	a.dropExpiredSessions(now)
	sessionsGone = had && a.sessions.len() == 0
	if a.kept.len() == 0 && a.sessions.len() == 0 {
		a.pruneTimer = nil
		return sessionsGone
	}
	a.pruneTimer.Reset(a.window)
	return sessionsGone
}

// KeepsState reports whether a disconnected socket's session is kept for
// recovery: then the namespace must stay, with the packets it missed.
func (a *recoveryAdapter) KeepsState() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.dropExpiredSessions(time.Now())
	return !a.closed && a.sessions.len() > 0
}

// Close runs when the namespace is removed: what was kept for recovery goes,
// and the timer that would have pruned it stops.
func (a *recoveryAdapter) Close() {
	a.mu.Lock()
	a.closed = true
	if a.pruneTimer != nil {
		a.pruneTimer.Stop()
		a.pruneTimer = nil
	}
	a.kept = packetQueue{}
	a.sessions.clear()
	a.mu.Unlock()
	a.Adapter.Close()
}

// dropExpiredSessions forgets sessions kept longer than the window. Callers
// hold a.mu.
func (a *recoveryAdapter) dropExpiredSessions(now time.Time) {
	a.sessions.dropExpired(now, a.window)
}

func (a *recoveryAdapter) PersistSession(s *socket.SessionToPersist) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return
	}
	now := time.Now()
	a.dropExpiredSessions(now)
	a.sessions.keep(s, now)
	a.schedulePrune()
}

// RestoreSession returns the session and the packets it missed after offset, or
// nil when it cannot be restored without loss (expired, unknown offset).
func (a *recoveryAdapter) RestoreSession(pid socket.PrivateSessionId, offset string) (*socket.Session, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	kept, ok := a.sessions.take(pid)
	if !ok {
		return nil, nil
	}
	if time.Since(kept.at) > a.window {
		return nil, nil
	}
	last, ok := a.parseOffset(offset)
	if !ok {
		return nil, nil
	}
	a.kept.dropOld(time.Now().Add(-a.window), a.maxPackets)
	if last < a.kept.dropped || last > a.seq {
		return nil, nil // packets after offset were already dropped, or offset is foreign
	}
	// Nothing is replayed and no room is joined yet: the library would do both
	// before the namespace middleware authenticates the socket. The session's
	// state waits in the socket's data until the door has authenticated and
	// re-authorized it (Resume, resume.go).
	pending := &Pending{data: kept.session.Data, last: last, upTo: a.seq}
	return &socket.Session{SessionToPersist: &socket.SessionToPersist{Sid: kept.session.Sid, Pid: kept.session.Pid,
		Rooms: types.NewSet[socket.Room](), Data: pending}}, nil
}

// offsetOf is the recovery offset of the packet numbered seq; parseOffset
// reads it back.
func (a *recoveryAdapter) offsetOf(seq uint64) string {
	return a.prefix + strconv.FormatUint(seq, 36)
}

func (a *recoveryAdapter) parseOffset(offset string) (uint64, bool) {
	rest, ok := strings.CutPrefix(offset, a.prefix)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(rest, 36, 64)
	return n, err == nil
}

// withExcept returns opts that also exclude the given sockets.
func withExcept(opts *socket.BroadcastOptions, sockets []*socket.Socket) *socket.BroadcastOptions {
	out := &socket.BroadcastOptions{Rooms: types.NewSet[socket.Room](), Except: types.NewSet[socket.Room]()}
	if opts != nil {
		if opts.Rooms != nil {
			out.Rooms.Add(opts.Rooms.Keys()...)
		}
		if opts.Except != nil {
			out.Except.Add(opts.Except.Keys()...)
		}
		out.Flags = opts.Flags
	}
	for _, s := range sockets {
		out.Except.Add(socket.Room(s.Id()))
	}
	return out
}

// AddAll tracks legacy sockets as they join their first room (their own id,
// when they connect), then lets the base adapter record the membership. Every
// membership change marks the cached member lists stale (after the change).
func (a *recoveryAdapter) AddAll(id socket.SocketId, rooms *types.Set[socket.Room]) {
	if s, ok := a.nsp.Sockets().Load(id); ok && legacyClient(s) {
		a.legacyMu.Lock()
		a.legacy[id] = s
		a.legacyMu.Unlock()
	}
	a.Adapter.AddAll(id, rooms)
	a.members.changed()
}

// Del takes a socket out of one room.
func (a *recoveryAdapter) Del(id socket.SocketId, room socket.Room) {
	a.Adapter.Del(id, room)
	a.members.changed()
}

// DelAll forgets a socket leaving every room (it disconnected).
func (a *recoveryAdapter) DelAll(id socket.SocketId) {
	a.legacyMu.Lock()
	delete(a.legacy, id)
	a.legacyMu.Unlock()
	a.Adapter.DelAll(id)
	a.members.changed()
}

// legacyTargets lists the legacy sockets a broadcast reaches: usually none are
// connected, and then it costs nothing per recipient.
func (a *recoveryAdapter) legacyTargets(opts *socket.BroadcastOptions) []*socket.Socket {
	a.legacyMu.Lock()
	defer a.legacyMu.Unlock()
	if len(a.legacy) == 0 {
		return nil
	}
	var out []*socket.Socket
	for id, s := range a.legacy {
		rooms, ok := a.Sids().Load(id)
		if !ok || rooms == nil {
			continue
		}
		if targets(rooms, opts) {
			out = append(out, s)
		}
	}
	return out
}

// targets reports whether a socket in rooms is a recipient of a broadcast with
// opts: in one of its rooms (or all when none), and in none of its exceptions.
func targets(rooms *types.Set[socket.Room], opts *socket.BroadcastOptions) bool {
	if opts == nil {
		return true
	}
	if opts.Except != nil {
		for _, r := range opts.Except.Keys() {
			if rooms.Has(r) {
				return false
			}
		}
	}
	if opts.Rooms == nil || opts.Rooms.Len() == 0 {
		return true
	}
	for _, r := range opts.Rooms.Keys() {
		if rooms.Has(r) {
			return true
		}
	}
	return false
}
