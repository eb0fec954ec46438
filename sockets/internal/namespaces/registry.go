// Package namespaces decides when socket.io may free a per-room child
// namespace ("/rooms/<id>"). socket.io creates one for every CONNECT, before
// any middleware can refuse it, and keeps it for good; its
// CleanupEmptyChildNamespaces option frees one without a lock, racing with a
// CONNECT that has just looked it up, and drops the recovery sessions with it.
// The Registry keeps a hold entry in every child namespace so the library never
// finds it empty by itself, and takes it out only when no CONNECT, accepted
// socket, connected socket or recoverable session needs the namespace.
package namespaces

import (
	"net/url"
	"sync"

	"github.com/zishang520/socket.io/v2/socket"
)

// socket.io creates a child namespace of "/rooms/<id>" (with its
// adapter, its recovery state and, with Redis, its subscriptions) for every
// CONNECT, before any middleware can refuse it, and keeps it for good. Its
// CleanupEmptyChildNamespaces option removes a child namespace (adapter Close,
// then out of the server's registry) whenever one of its sockets is removed
// and it has none left, refused ones included, but it checks and removes
// without a lock: a CONNECT that has just looked the namespace up would be
// added to a closed namespace that the server no longer knows, and the
// recovery state of sockets that dropped out would go with it.
//
// So the option is on, and Registry decides when it may act: every
// child namespace keeps one hold entry in its socket map (holdSocket under
// holdID, never a real socket), so the library never finds it empty by
// itself. Only retire, under mu, takes the entry out and lets the library's
// cleanup run, once nothing needs the namespace:
//
//   - no CONNECT to its name is being handled (the decoder holds the name
//     from the moment it decodes the CONNECT, before socket.io looks the
//     namespace up, until socket.io has run our middleware on it);
//   - no socket our middleware accepted is still on its way in (socket.io
//     stores it in the namespace on another goroutine after the middleware);
//   - no socket is connected to it;
//   - its adapter keeps no session a client could still recover (within
//     SOCKETIO_RECOVERY_WINDOW of its disconnect).
//
// A CONNECT that comes after the removal finds no namespace and gets a fresh
// one. The entry is put back once the namespace is out, so a late removal of
// a socket of the old namespace cannot make the library's cleanup delete the
// fresh namespace of the same name from the registry.
type Registry struct {
	// roomID reads the room of a namespace name the registry manages.
	roomID func(name string) (int64, bool)

	mu sync.RWMutex
	// created is signalled when a namespace is created or a CONNECT that was
	// to create one is done: CONNECTs wait for a creation in progress, as the
	// library would otherwise create two namespaces of one name.
	created *sync.Cond
	byRoom  map[int64]*roomNamespace
	// joining is every socket the middleware accepted that is not yet in its
	// namespace, with its Engine.IO connection: if that closes first,
	// socket.io drops the socket without a connection event.
	joining map[socket.SocketId]joiningSocket
}

type roomNamespace struct {
	roomID     int64
	nsp        socket.Namespace // nil until socket.io creates it
	connecting int              // CONNECTs being handled (see hold)
	creating   bool             // one of them is creating nsp
	joining    int              // entries of Registry.joining for nsp
}

type joiningSocket struct {
	ns     *roomNamespace
	connID string
}

// holdID keys the hold entry: socket ids are never empty. holdSocket is a
// zero Socket: never connected, so socket.io's Close skips it.
const holdID socket.SocketId = ""

var holdSocket = &socket.Socket{}

// New is an empty registry of the child namespaces whose names roomID reads
// ("/rooms/<id>").
func New(roomID func(name string) (int64, bool)) *Registry {
	r := &Registry{roomID: roomID, byRoom: map[int64]*roomNamespace{}, joining: map[socket.SocketId]joiningSocket{}}
	r.created = sync.NewCond(&r.mu)
	return r
}

// connectName is the namespace socket.io connects a CONNECT packet's nsp to:
// the nsp itself, or for EIO=3 (whose nsp may carry a query) its path. The
// decoder does not know the protocol: either reading that names a room
// namespace is held, which may hold a name for nothing, never too little.
func (r *Registry) connectName(nsp string) (int64, bool) {
	if id, ok := r.roomID(nsp); ok {
		return id, true
	}
	if u, err := url.Parse(nsp); err == nil && u.Path != nsp {
		return r.roomID(u.Path)
	}
	return 0, false
}

// HoldConnect holds the room namespace a decoded CONNECT names, if it names
// one, until the returned release (ordering.ConnectHolder).
func (r *Registry) HoldConnect(nsp string) (release func()) {
	roomID, ok := r.connectName(nsp)
	if !ok {
		return nil
	}
	creator := r.hold(roomID)
	return func() { r.release(roomID, creator) }
}

// hold marks a CONNECT to roomID as being handled: its namespace is not
// removed until release. It waits while another CONNECT is creating the
// namespace, until socket.io has registered it; creator reports that this
// CONNECT is to create it.
func (r *Registry) hold(roomID int64) (creator bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ns := r.byRoom[roomID]
	if ns == nil {
		ns = &roomNamespace{roomID: roomID}
		r.byRoom[roomID] = ns
	}
	ns.connecting++
	for ns.creating {
		r.created.Wait()
	}
	if ns.nsp == nil {
		ns.creating = true
		return true
	}
	return false
}

// release ends what hold began, once socket.io has handled the CONNECT
// (middleware run, or the CONNECT dropped).
func (r *Registry) release(roomID int64, creator bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ns := r.byRoom[roomID]
	if ns == nil {
		return
	}
	ns.connecting--
	if creator && ns.creating {
		ns.creating = false // socket.io did not create it after all
		r.created.Broadcast()
	}
	if ns.nsp == nil {
		if ns.connecting == 0 {
			delete(r.byRoom, roomID)
		}
		return
	}
	r.retireIfUnused(ns)
}

// adopt puts a namespace socket.io is creating under our control: called by
// its adapter's constructor, before socket.io registers it.
func (r *Registry) adopt(nsp socket.Namespace, roomID int64) {
	nsp.Sockets().Store(holdID, holdSocket)
	r.mu.Lock()
	defer r.mu.Unlock()
	ns := r.byRoom[roomID]
	if ns == nil {
		// Created other than by a CONNECT (Server.Of): kept until a socket
		// connects to it and leaves.
		ns = &roomNamespace{roomID: roomID}
		r.byRoom[roomID] = ns
	}
	ns.nsp = nsp
}

// Registered is told of every namespace socket.io has put in its registry
// ("new_namespace"): CONNECTs waiting for its creation now find it there.
func (r *Registry) Registered(nsp socket.Namespace) {
	roomID, ok := r.roomID(nsp.Name())
	if !ok {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if ns := r.byRoom[roomID]; ns != nil && ns.nsp == nsp && ns.creating {
		ns.creating = false
		r.created.Broadcast()
	}
}

// Accepted records a socket the middleware lets in: it is added to its
// namespace on another goroutine, after the middleware returns.
func (r *Registry) Accepted(s *socket.Socket) {
	roomID, ok := r.roomID(s.Nsp().Name())
	if !ok {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	ns := r.byRoom[roomID]
	if ns == nil {
		return // cannot happen while the CONNECT is held
	}
	if ns.nsp != s.Nsp() {
		// socket.io found it in its registry, so it is the live one (only if
		// a removal raced with a socket of a closed connection, see retire).
		if _, held := s.Nsp().Sockets().Load(holdID); !held {
			s.Nsp().Sockets().Store(holdID, holdSocket)
		}
		ns.nsp = s.Nsp()
	}
	if _, dup := r.joining[s.Id()]; !dup {
		ns.joining++
		r.joining[s.Id()] = joiningSocket{ns: ns, connID: s.Conn().Id()}
	}
}

// Joined is called from the namespace's connection handler: the socket is in
// the namespace's socket map now, which keeps the namespace by itself.
func (r *Registry) Joined(s *socket.Socket) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.forgetJoining(s.Id())
}

// ConnClosed lets go of the accepted sockets of a closed connection that
// never reached their namespace.
func (r *Registry) ConnClosed(connID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for id, j := range r.joining {
		if j.connID == connID {
			r.forgetJoining(id)
			r.retireIfUnused(j.ns)
		}
	}
}

func (r *Registry) forgetJoining(id socket.SocketId) {
	if j, ok := r.joining[id]; ok {
		delete(r.joining, id)
		j.ns.joining--
	}
}

// Check removes roomID's namespace if nothing needs it any more: after a
// socket left it, or its adapter let a kept session expire.
func (r *Registry) Check(roomID int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if ns := r.byRoom[roomID]; ns != nil {
		r.retireIfUnused(ns)
	}
}

// Live is roomID's namespace, nil when none exists (never a removed one).
func (r *Registry) Live(roomID int64) socket.Namespace {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if ns := r.byRoom[roomID]; ns != nil {
		return ns.nsp
	}
	return nil
}

// All is every room namespace that exists.
func (r *Registry) All() []socket.Namespace {
	r.mu.RLock()
	defer r.mu.RUnlock()
	nsps := make([]socket.Namespace, 0, len(r.byRoom))
	for _, ns := range r.byRoom {
		if ns.nsp != nil {
			nsps = append(nsps, ns.nsp)
		}
	}
	return nsps
}

// Count is the number of room namespaces that exist.
func (r *Registry) Count() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	n := 0
	for _, ns := range r.byRoom {
		if ns.nsp != nil {
			n++
		}
	}
	return n
}

// stateKeeper is an adapter that may still hold state a client needs after
// the namespace's last socket has gone (the recovery adapter's sessions).
type stateKeeper interface{ KeepsState() bool }

// retireIfUnused removes ns's namespace when nothing needs it. Callers hold
// r.mu, and no adapter lock (the adapter's Close runs here).
func (r *Registry) retireIfUnused(ns *roomNamespace) {
	nsp := ns.nsp
	if nsp == nil || ns.connecting > 0 || ns.creating || ns.joining > 0 || ConnectedSockets(nsp) > 0 {
		return
	}
	if k, ok := nsp.Adapter().(stateKeeper); ok && k.KeepsState() {
		return
	}
	// The hold entry out, the library's cleanup (CleanupEmptyChildNamespaces)
	// finds the namespace empty: it closes the adapter and drops the namespace
	// from the server's registry and its parent's children.
	nsp.Remove(holdSocket)
	// A socket stored meanwhile (only one of a connection that closed as it
	// was let in) may have kept the namespace: then it stays ours.
	raced := nsp.Sockets().Len() > 0
	nsp.Sockets().Store(holdID, holdSocket)
	if !raced && r.byRoom[ns.roomID] == ns {
		delete(r.byRoom, ns.roomID)
	}
}

// ConnectedSockets is the number of sockets of nsp, not counting the hold entry.
func ConnectedSockets(nsp socket.Namespace) int {
	n := nsp.Sockets().Len()
	if _, held := nsp.Sockets().Load(holdID); held {
		n--
	}
	return n
}

// Builder builds every namespace's adapter with Inner and puts room
// namespaces under the registry's control before socket.io registers them (a
// socket.AdapterConstructor: socket.ServerOptions.SetAdapter).
type Builder struct {
	Inner socket.AdapterConstructor
	Rooms *Registry
}

// sessionKeeper is an adapter that tells when the last session it kept for
// recovery has expired (sockets/internal/recovery).
type sessionKeeper interface{ OnSessionsExpired(func()) }

func (b Builder) New(nsp socket.Namespace) socket.Adapter {
	a := b.Inner.New(nsp)
	if roomID, ok := b.Rooms.roomID(nsp.Name()); ok {
		if k, ok := a.(sessionKeeper); ok {
			k.OnSessionsExpired(func() { b.Rooms.Check(roomID) })
		}
		b.Rooms.adopt(nsp, roomID)
	}
	return a
}
