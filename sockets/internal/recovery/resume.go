package recovery

import (
	"sort"

	"github.com/zishang520/socket.io-go-parser/v2/parser"
	"github.com/zishang520/socket.io/v2/socket"
)

// Pending is a restored session waiting for the door: the library
// restores a session (its id, data, rooms, missed packets) while it creates
// the socket, before any middleware runs, so our adapter hands it only this,
// as the socket's data. The namespace middleware authenticates the socket and
// decides what of the session it gets back (same user: its rooms it may still
// read; another user: nothing), and the connection handler resumes it.
type Pending struct {
	data any    // the door's state of the socket that dropped out
	last uint64 // the last packet the client got
	upTo uint64 // the last packet recorded when the session was restored
}

// PendingOf returns the restored session of s, if it is one, and the door's
// state it carried.
func PendingOf(s *socket.Socket) (*Pending, any) {
	p, ok := s.Data().(*Pending)
	if !ok {
		return nil, nil
	}
	return p, p.data
}

// Resume puts a recovered socket, now authenticated and authorized,
// back into rooms (the chat rooms it may still read) and replays, in offset
// order, what it missed: what went to its own id while it was away, and what
// went to those rooms until now. Under the adapter's lock, so no broadcast
// falls between the replay and the join. It reports false when packets it
// missed are no longer kept: then the client has to reconnect afresh.
func Resume(s *socket.Socket, p *Pending, rooms []socket.Room) bool {
	a, ok := s.Nsp().Adapter().(*recoveryAdapter) // ours whenever recovery is on
	if !ok || p == nil {
		return true
	}
	return a.resume(s, p, rooms)
}

func (a *recoveryAdapter) resume(s *socket.Socket, p *Pending, rooms []socket.Room) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	missed, ok := a.missed(p, socket.Room(s.Id()), rooms)
	if !ok {
		return false
	}
	if len(rooms) > 0 {
		s.Join(rooms...)
	}
	for _, data := range missed {
		encoded := a.nsp.Server().Encoder().Encode(&parser.Packet{Type: parser.EVENT, Nsp: a.name, Data: data})
		s.Client().WriteToEngine(encoded, &socket.WriteOptions{})
	}
	return true
}

// missed lists, oldest first, the packets a resumed socket gets: after the
// client's offset, to one of rooms, or to its own id (own) until the session
// was restored: since then its own id is its room and they were delivered
// live. False when one of them is no longer kept. Callers hold a.mu.
func (a *recoveryAdapter) missed(p *Pending, own socket.Room, rooms []socket.Room) ([][]any, bool) {
	allowed := make(map[socket.Room]bool, len(rooms))
	for _, r := range rooms {
		allowed[r] = true
	}
	packets := &a.kept
	if p.last < packets.dropped {
		return nil, false
	}
	var missed [][]any
	for i := sort.Search(packets.len(), func(i int) bool { return packets.at(i).seq > p.last }); i < packets.len(); i++ {
		k := packets.at(i)
		if !replays(k, own, k.seq <= p.upTo, allowed) {
			continue
		}
		data, ok := k.missedPacket(a.offsetOf(k.seq))
		if !ok {
			return nil, false
		}
		missed = append(missed, data)
	}
	return missed, true
}

// replays reports whether a kept packet goes to a resumed socket: addressed to
// one of its allowed rooms, or to its own id when ownToo, and not excluding it.
func replays(k *keptPacket, own socket.Room, ownToo bool, allowed map[socket.Room]bool) bool {
	for _, r := range k.except {
		if r == own || allowed[r] {
			return false
		}
	}
	if len(k.rooms) == 0 {
		return ownToo // to every socket: delivered live since it connected
	}
	for _, r := range k.rooms {
		if allowed[r] || (ownToo && r == own) {
			return true
		}
	}
	return false
}
