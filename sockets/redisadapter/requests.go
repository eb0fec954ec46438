package redisadapter

import (
	"fmt"
	"time"

	"github.com/zishang520/socket.io/v2/adapter"
	"github.com/zishang520/socket.io/v2/socket"
)

// pendingRequest waits for the answers of the other servers to fetchSockets or
// serverSideEmit-with-ack. The base ClusterAdapter counts servers by heartbeats,
// which Node redis-adapter servers never send, so we count subscribers instead
// and keep our own books.
type pendingRequest struct {
	expected int64
	got      int64
	sockets  []socket.SocketDetails
	replies  []any
	done     func(err error)
	timer    *time.Timer
}

func (a *redisAdapter) newRequestID() string {
	id, _ := adapter.RandomId()
	return id
}

func (a *redisAdapter) track(id string, p *pendingRequest) {
	a.mu.Lock()
	a.pending[id] = p
	a.mu.Unlock()
	p.timer = time.AfterFunc(a.f.timeout, func() {
		if p := a.take(id); p != nil {
			p.done(fmt.Errorf("timeout reached: only %d responses received out of %d", p.got, p.expected))
		}
	})
}

func (a *redisAdapter) take(id string) *pendingRequest {
	a.mu.Lock()
	defer a.mu.Unlock()
	p := a.pending[id]
	delete(a.pending, id)
	return p
}

// resolve counts one response and finishes the request once all arrived.
func (a *redisAdapter) resolve(r response) {
	a.mu.Lock()
	p := a.pending[r.RequestID]
	if p == nil {
		a.mu.Unlock()
		return
	}
	p.got++
	for _, s := range r.Sockets {
		var ws wireSocket
		if decodeLoose(s, &ws) == nil {
			p.sockets = append(p.sockets, adapter.NewRemoteSocket(socketFromWire(ws)))
		}
	}
	if r.Type != nil && *r.Type == reqServerSideEmit {
		p.replies = append(p.replies, r.Data)
	}
	complete := p.got >= p.expected
	if complete {
		delete(a.pending, r.RequestID)
	}
	a.mu.Unlock()
	if complete {
		p.timer.Stop()
		p.done(nil)
	}
}

func (a *redisAdapter) failPending(err error) {
	a.mu.Lock()
	all := a.pending
	a.pending = map[string]*pendingRequest{}
	a.mu.Unlock()
	for _, p := range all {
		if p.timer != nil {
			p.timer.Stop()
		}
		p.done(err)
	}
}

// FetchSockets returns the matching sockets of every server.
func (a *redisAdapter) FetchSockets(opts *socket.BroadcastOptions) func(func([]socket.SocketDetails, error)) {
	return func(cb func([]socket.SocketDetails, error)) {
		local := localOnly(opts)
		a.ClusterAdapter.FetchSockets(local)(func(mine []socket.SocketDetails, err error) {
			if err != nil || (opts != nil && opts.Flags != nil && opts.Flags.Local) {
				cb(mine, err)
				return
			}
			others := a.ServerCount() - 1
			if others <= 0 {
				cb(mine, nil)
				return
			}
			id := a.newRequestID()
			p := &pendingRequest{expected: others, sockets: mine}
			p.done = func(err error) {
				if err != nil {
					cb(nil, err)
					return
				}
				cb(p.sockets, nil)
			}
			a.track(id, p)
			o := adapter.EncodeOptions(opts)
			o.Flags = nil
			if err := a.publishMessage(&adapter.ClusterMessage{Type: adapter.FETCH_SOCKETS,
				Data: &adapter.FetchSocketsMessage{Opts: o, RequestId: id}}); err != nil {
				if p := a.take(id); p != nil {
					p.timer.Stop()
					cb(mine, nil) // Redis is down: what this server knows
				}
			}
		})
	}
}

// ServerSideEmit sends an event to the other servers, collecting their acks
// when the last argument is a socket.Ack.
func (a *redisAdapter) ServerSideEmit(packet []any) error {
	if len(packet) == 0 {
		return fmt.Errorf("packet cannot be empty")
	}
	ack, withAck := packet[len(packet)-1].(socket.Ack)
	if !withAck {
		return a.ClusterAdapter.ServerSideEmit(packet)
	}
	others := a.ServerCount() - 1
	if others <= 0 {
		ack([]any{}, nil)
		return nil
	}
	id := a.newRequestID()
	p := &pendingRequest{expected: others}
	p.done = func(err error) { ack(p.replies, err) }
	a.track(id, p)
	err := a.publishMessage(&adapter.ClusterMessage{Type: adapter.SERVER_SIDE_EMIT,
		Data: &adapter.ServerSideEmitMessage{RequestId: &id, Packet: packet[:len(packet)-1]}})
	if err != nil {
		if p := a.take(id); p != nil {
			p.timer.Stop()
		}
		return err
	}
	return nil
}

func localOnly(opts *socket.BroadcastOptions) *socket.BroadcastOptions {
	o := &socket.BroadcastOptions{Flags: &socket.BroadcastFlags{Local: true}}
	if opts != nil {
		o.Rooms, o.Except = opts.Rooms, opts.Except
	}
	return o
}
