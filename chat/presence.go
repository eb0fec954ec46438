package chat

import (
	"context"
	"sort"
	"sync"
)

// Presence tracks who is online in which room, per user across doors and tabs:
// a user is online while at least one of their connections is in the room.
type Presence interface {
	// Enter records connID of user in roomID; first is true when it is the user's
	// first connection there.
	Enter(ctx context.Context, roomID int64, user UserRef, connID string) (first bool, err error)
	// Leave removes connID; last is true when it was the user's last connection there.
	Leave(ctx context.Context, roomID, userID int64, connID string) (last bool, err error)
	// Online lists the users online in roomID, by id.
	Online(ctx context.Context, roomID int64) ([]UserRef, error)
}

// LocalPresence is the presence of one instance, kept in memory.
type LocalPresence struct {
	mu    sync.Mutex
	rooms map[int64]map[int64]*presenceEntry
}

type presenceEntry struct {
	user  UserRef
	conns map[string]struct{}
}

// NewLocalPresence builds an empty presence table.
func NewLocalPresence() *LocalPresence {
	return &LocalPresence{rooms: make(map[int64]map[int64]*presenceEntry)}
}

func (p *LocalPresence) Enter(_ context.Context, roomID int64, user UserRef, connID string) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	users := p.rooms[roomID]
	if users == nil {
		users = make(map[int64]*presenceEntry)
		p.rooms[roomID] = users
	}
	e := users[user.ID]
	if e == nil {
		e = &presenceEntry{user: user, conns: make(map[string]struct{})}
		users[user.ID] = e
	}
	_, had := e.conns[connID]
	e.conns[connID] = struct{}{}
	return len(e.conns) == 1 && !had, nil
}

func (p *LocalPresence) Leave(_ context.Context, roomID, userID int64, connID string) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	users := p.rooms[roomID]
	e := users[userID]
	if e == nil {
		return false, nil
	}
	if _, had := e.conns[connID]; !had {
		return false, nil
	}
	delete(e.conns, connID)
	if len(e.conns) > 0 {
		return false, nil
	}
	delete(users, userID)
	if len(users) == 0 {
		delete(p.rooms, roomID)
	}
	return true, nil
}

func (p *LocalPresence) Online(_ context.Context, roomID int64) ([]UserRef, error) {
	p.mu.Lock()
	out := make([]UserRef, 0, len(p.rooms[roomID]))
	for _, e := range p.rooms[roomID] {
		out = append(out, e.user)
	}
	p.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}
