package recovery

import (
	"time"

	"github.com/zishang520/socket.io/v2/socket"
)

// keptSessions are the sessions of disconnected sockets kept for recovery,
// with the order they were kept in: they expire in that order, so dropping the
// expired ones looks only at those, not at every session kept. (Scanning the
// whole map on every disconnect made a reconnect storm quadratic: 15% of the
// server's CPU when 10,000 connections dropped at once, `SCENARIOS=storm`.)
type keptSessions struct {
	byPid map[socket.PrivateSessionId]keptSession
	order []keptAt // ascending at; may name sessions already restored or kept again
	head  int      // order[:head] is done with
}

type keptAt struct {
	pid socket.PrivateSessionId
	at  time.Time
}

func newKeptSessions() keptSessions {
	return keptSessions{byPid: map[socket.PrivateSessionId]keptSession{}}
}

// keep records s as kept at, which is no earlier than any time kept before
// (callers hold the adapter's lock and read the clock under it).
func (k *keptSessions) keep(s *socket.SessionToPersist, at time.Time) {
	k.byPid[s.Pid] = keptSession{session: s, at: at}
	k.order = append(k.order, keptAt{pid: s.Pid, at: at})
}

// take removes and returns the session kept for pid.
func (k *keptSessions) take(pid socket.PrivateSessionId) (keptSession, bool) {
	s, ok := k.byPid[pid]
	if ok {
		delete(k.byPid, pid)
	}
	return s, ok
}

// dropExpired forgets the sessions kept longer than window before now.
func (k *keptSessions) dropExpired(now time.Time, window time.Duration) {
	for k.head < len(k.order) && now.Sub(k.order[k.head].at) > window {
		e := k.order[k.head]
		k.order[k.head] = keptAt{}
		k.head++
		// Only the entry of the session's latest keeping expires it.
		if s, ok := k.byPid[e.pid]; ok && s.at.Equal(e.at) {
			delete(k.byPid, e.pid)
		}
	}
	switch {
	case k.head == len(k.order):
		k.order, k.head = k.order[:0], 0
	case k.head > len(k.order)/2:
		k.order, k.head = k.order[:copy(k.order, k.order[k.head:])], 0
	}
}

func (k *keptSessions) len() int { return len(k.byPid) }

func (k *keptSessions) clear() {
	clear(k.byPid)
	k.order, k.head = nil, 0
}
