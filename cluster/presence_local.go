package cluster

import (
	"sort"

	"github.com/izpochat/server/chat"
)

// localConns is this instance's own share of presence: the fallback while Redis
// is down and the source for re-registering after Redis lost its data.
// Not safe for concurrent use; Presence guards it.
type localConns map[int64]map[string]chat.UserRef // room -> conn -> user

func (l localConns) enter(roomID int64, user chat.UserRef, connID string) (first bool) {
	conns := l[roomID]
	if conns == nil {
		conns = make(map[string]chat.UserRef)
		l[roomID] = conns
	}
	if _, had := conns[connID]; had {
		conns[connID] = user
		return false
	}
	first = !l.hasUser(roomID, user.ID)
	conns[connID] = user
	return first
}

// leave removes connID; had says it was there, last that the user has no other connection.
func (l localConns) leave(roomID, userID int64, connID string) (had, last bool) {
	conns := l[roomID]
	u, had := conns[connID]
	if !had || u.ID != userID {
		return false, false
	}
	delete(conns, connID)
	if len(conns) == 0 {
		delete(l, roomID)
	}
	return true, !l.hasUser(roomID, userID)
}

func (l localConns) hasUser(roomID, userID int64) bool {
	for _, u := range l[roomID] {
		if u.ID == userID {
			return true
		}
	}
	return false
}

func (l localConns) online(roomID int64) []chat.UserRef {
	seen := make(map[int64]chat.UserRef)
	for _, u := range l[roomID] {
		seen[u.ID] = u
	}
	out := make([]chat.UserRef, 0, len(seen))
	for _, u := range seen {
		out = append(out, u)
	}
	sortUsers(out)
	return out
}

func sortUsers(us []chat.UserRef) {
	sort.Slice(us, func(i, j int) bool { return us[i].ID < us[j].ID })
}
