package sockets

import (
	"crypto/rand"
	"encoding/hex"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/zishang520/engine.io/v2/types"
	"github.com/zishang520/socket.io-go-parser/v2/parser"
	"github.com/zishang520/socket.io/v2/socket"
)

// recoveryAdapterBuilder builds our connection-state-recovery adapter. The
// library's own (SessionAwareAdapter) cannot be used: under Go 1.25+ its
// constructor panics (utils.Timer.Unref passes runtime.AddCleanup a cleanup
// that closes over its pointer). Ours also keeps the recovery offset away from
// legacy clients, for which it would be an unexpected extra event argument.
type recoveryAdapterBuilder struct {
	window time.Duration
}

func (b recoveryAdapterBuilder) New(nsp socket.Namespace) socket.Adapter {
	var prefix [4]byte
	_, _ = rand.Read(prefix[:])
	return &recoveryAdapter{Adapter: socket.NewAdapter(nsp), nsp: nsp, window: b.window,
		prefix: hex.EncodeToString(prefix[:]) + "-", sessions: map[socket.PrivateSessionId]keptSession{}}
}

// recoveryAdapter is the in-memory adapter plus what recovery needs: the
// sessions of recently disconnected sockets and the packets broadcast during
// the recovery window, each stamped with an offset.
type recoveryAdapter struct {
	socket.Adapter
	nsp    socket.Namespace
	window time.Duration
	prefix string // makes offsets of another adapter or instance unrecognisable

	// mu orders recording and sending, so clients receive packets in offset order.
	mu       sync.Mutex
	seq      uint64
	packets  []keptPacket // ascending seq, none older than window
	sessions map[socket.PrivateSessionId]keptSession
}

type keptPacket struct {
	seq    uint64
	at     time.Time
	data   []any
	rooms  []socket.Room
	except []socket.Room
}

type keptSession struct {
	session *socket.SessionToPersist
	at      time.Time
}

func (a *recoveryAdapter) Broadcast(p *parser.Packet, opts *socket.BroadcastOptions) {
	data, isList := p.Data.([]any)
	volatile := opts != nil && opts.Flags != nil && opts.Flags.Volatile
	if p.Type != parser.EVENT || p.Id != nil || volatile || !isList {
		a.Adapter.Broadcast(p, opts)
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	legacy := a.legacyTargets(opts)
	if len(legacy) > 0 {
		plain := *p
		plain.Nsp = a.nsp.Name()
		encoded := a.nsp.Server().Encoder().Encode(&plain)
		wopts := &socket.WriteOptions{}
		if opts != nil && opts.Flags != nil {
			wopts.Compress = opts.Flags.Compress
		}
		for _, s := range legacy {
			s.Client().WriteToEngine(encoded, wopts)
		}
		opts = withExcept(opts, legacy)
	}
	offset := a.record(data, opts)
	stamped := *p
	stamped.Data = append(append(make([]any, 0, len(data)+1), data...), offset)
	a.Adapter.Broadcast(&stamped, opts)
}

// record keeps the packet for recovery and returns its offset.
func (a *recoveryAdapter) record(data []any, opts *socket.BroadcastOptions) string {
	now := time.Now()
	a.seq++
	k := keptPacket{seq: a.seq, at: now, data: data}
	if opts != nil {
		if opts.Rooms != nil {
			k.rooms = opts.Rooms.Keys()
		}
		if opts.Except != nil {
			k.except = opts.Except.Keys()
		}
	}
	a.packets = append(a.packets, k)
	drop := 0
	for drop < len(a.packets) && now.Sub(a.packets[drop].at) > a.window {
		drop++
	}
	if drop > 0 {
		a.packets = append(a.packets[:0:0], a.packets[drop:]...)
	}
	return a.prefix + strconv.FormatUint(k.seq, 36)
}

func (a *recoveryAdapter) PersistSession(s *socket.SessionToPersist) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := time.Now()
	for pid, kept := range a.sessions {
		if now.Sub(kept.at) > a.window {
			delete(a.sessions, pid)
		}
	}
	a.sessions[s.Pid] = keptSession{session: s, at: now}
}

// RestoreSession returns the session and the packets it missed after offset, or
// nil when it cannot be restored without loss (expired, unknown offset).
func (a *recoveryAdapter) RestoreSession(pid socket.PrivateSessionId, offset string) (*socket.Session, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	kept, ok := a.sessions[pid]
	if !ok {
		return nil, nil
	}
	delete(a.sessions, pid)
	if time.Since(kept.at) > a.window {
		return nil, nil
	}
	last, ok := a.parseOffset(offset)
	if !ok {
		return nil, nil
	}
	first := a.seq + 1 // oldest seq still kept
	if len(a.packets) > 0 {
		first = a.packets[0].seq
	}
	if last+1 < first || last > a.seq {
		return nil, nil // packets after offset were already dropped, or offset is foreign
	}
	rooms := map[socket.Room]bool{}
	if kept.session.Rooms != nil {
		for _, r := range kept.session.Rooms.Keys() {
			rooms[r] = true
		}
	}
	i := sort.Search(len(a.packets), func(i int) bool { return a.packets[i].seq > last })
	missed := []any{}
	for _, k := range a.packets[i:] {
		if reaches(k, rooms) {
			missed = append(missed, append(append(make([]any, 0, len(k.data)+1), k.data...), a.prefix+strconv.FormatUint(k.seq, 36)))
		}
	}
	return &socket.Session{SessionToPersist: kept.session, MissedPackets: missed}, nil
}

func (a *recoveryAdapter) parseOffset(offset string) (uint64, bool) {
	rest, ok := strings.CutPrefix(offset, a.prefix)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(rest, 36, 64)
	return n, err == nil
}

// reaches reports whether a kept packet was meant for a socket in rooms.
func reaches(k keptPacket, rooms map[socket.Room]bool) bool {
	for _, r := range k.except {
		if rooms[r] {
			return false
		}
	}
	if len(k.rooms) == 0 {
		return true
	}
	for _, r := range k.rooms {
		if rooms[r] {
			return true
		}
	}
	return false
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

// legacyTargets lists the legacy sockets a broadcast reaches.
func (a *recoveryAdapter) legacyTargets(opts *socket.BroadcastOptions) []*socket.Socket {
	excluded := map[socket.SocketId]bool{}
	if opts != nil && opts.Except != nil {
		for _, room := range opts.Except.Keys() {
			if ids, ok := a.Rooms().Load(room); ok {
				for _, id := range ids.Keys() {
					excluded[id] = true
				}
			}
		}
	}
	var out []*socket.Socket
	seen := map[socket.SocketId]bool{}
	consider := func(id socket.SocketId) {
		if seen[id] || excluded[id] {
			return
		}
		seen[id] = true
		if s, ok := a.nsp.Sockets().Load(id); ok && legacyClient(s) {
			out = append(out, s)
		}
	}
	if opts != nil && opts.Rooms != nil && opts.Rooms.Len() > 0 {
		for _, room := range opts.Rooms.Keys() {
			if ids, ok := a.Rooms().Load(room); ok {
				for _, id := range ids.Keys() {
					consider(id)
				}
			}
		}
		return out
	}
	a.Sids().Range(func(id socket.SocketId, _ *types.Set[socket.Room]) bool {
		consider(id)
		return true
	})
	return out
}
