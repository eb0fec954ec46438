package sockets

import (
	"context"
	"sync"

	"github.com/izpochat/server/chat"
)

// poster posts messages so that, per room, storing and publishing happen as one
// step: concurrent senders would otherwise publish in a different order than the
// database assigned ids, and listeners would see a room's messages out of order.
type poster struct {
	service *chat.Service

	mu    sync.Mutex
	rooms map[int64]*roomLock
}

type roomLock struct {
	sync.Mutex
	users int
}

func newPoster(s *chat.Service) *poster {
	return &poster{service: s, rooms: make(map[int64]*roomLock)}
}

// Post stores and publishes one message, serialised with the room's other posts.
func (p *poster) Post(ctx context.Context, a chat.Actor, roomID int64, in chat.PostInput) (chat.Message, error) {
	l := p.acquire(roomID)
	defer p.release(roomID, l)
	return p.service.PostMessage(ctx, a, roomID, in)
}

func (p *poster) acquire(roomID int64) *roomLock {
	p.mu.Lock()
	l := p.rooms[roomID]
	if l == nil {
		l = &roomLock{}
		p.rooms[roomID] = l
	}
	l.users++
	p.mu.Unlock()
	l.Lock()
	return l
}

func (p *poster) release(roomID int64, l *roomLock) {
	l.Unlock()
	p.mu.Lock()
	l.users--
	if l.users == 0 {
		delete(p.rooms, roomID)
	}
	p.mu.Unlock()
}
