package recovery

import (
	"sync"
	"sync/atomic"

	"github.com/zishang520/engine.io/v2/engine"
	"github.com/zishang520/socket.io/v2/socket"
)

// recipient is a local socket a broadcast reaches, with what sending to it
// needs, so a broadcast does not touch the socket's own structure per packet.
type recipient struct {
	id     socket.SocketId
	socket *socket.Socket
	conn   engine.Socket // the socket's engine connection, fixed for its life
}

func recipientOf(s *socket.Socket) recipient {
	return recipient{id: s.Id(), socket: s, conn: s.Conn()}
}

// memberCache keeps, per room, the local sockets a broadcast to it reaches.
// Without it every message to a room of 20 copied the room's id set and looked
// up 20 sockets and their connections, about a third of a broadcast's CPU.
// Any change of membership (the adapter's AddAll, Del, DelAll: a join, a leave,
// a disconnect) makes every cached list stale, and the next broadcast to a room
// builds its list again: chat rooms change members rarely compared with how
// often they get messages. A list holds the members connected in the
// namespace when it was built; the library adds a socket to the namespace
// before its first AddAll (its own room, also after a recovered session's
// rooms), so a connected member is never left out until the next change.
type memberCache struct {
	version atomic.Uint64 // bumped after every membership change

	mu    sync.Mutex
	built uint64 // the version the cached lists were built at
	rooms map[socket.Room][]recipient
}

// changed records a membership change. It is called after the change, so a
// list built from the version it leaves includes the change.
func (c *memberCache) changed() { c.version.Add(1) }

// members returns room's recipients, built by load when not cached at the
// current version. The list is shared: callers never modify it.
func (c *memberCache) members(room socket.Room, load func(socket.Room) []recipient) []recipient {
	v := c.version.Load()
	c.mu.Lock()
	if c.rooms == nil || c.built != v {
		// Dropping every list also lets go of the sockets that have left.
		c.rooms = map[socket.Room][]recipient{}
		c.built = v
	}
	list, ok := c.rooms[room]
	c.mu.Unlock()
	if ok {
		return list
	}
	list = load(room)
	c.mu.Lock()
	if c.built == v {
		c.rooms[room] = list
	}
	c.mu.Unlock()
	return list
}

// loadMembers lists the local sockets in room as the library's adapter finds
// them: the room's ids, each connected in this namespace.
func (a *recoveryAdapter) loadMembers(room socket.Room) []recipient {
	ids, ok := a.Rooms().Load(room)
	if !ok {
		return nil
	}
	sockets := a.nsp.Sockets()
	keys := ids.Keys()
	list := make([]recipient, 0, len(keys))
	for _, id := range keys {
		if s, ok := sockets.Load(id); ok {
			list = append(list, recipientOf(s))
		}
	}
	return list
}
