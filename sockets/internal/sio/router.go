package sockets

import (
	"context"

	"github.com/zishang520/socket.io/v2/socket"
)

// eventHandler is one client event's work on a socket whose state is a *C: it
// returns the ack fields on success (needed only when acked: the client asked
// for an ack).
type eventHandler[C any] func(d *sioDoor, ctx context.Context, s *socket.Socket, c *C, payload any, acked bool) (map[string]any, error)

// eventTable maps client event names to their work. Tables are shared by every
// socket of a namespace kind; what is per socket (s, c) is passed in.
type eventTable[C any] map[string]eventHandler[C]

// route makes table the socket's client events, handled one at a time in the
// order the connection received them, with the `error` event and acks. Events
// over the connection's budget come refused by the decoder (sio_order.go) and
// are answered at once, on the library's goroutine, with no worker.
//
// The router is the socket's event middleware, which socket.io runs on the
// packet's own goroutine before dispatching; it hands the event to the door's
// workers (event_workers.go). It never calls next: dispatching would emit the
// event once more on yet another goroutine, out of order. So client events
// must be registered here, never with s.On.
func route[C any](d *sioDoor, s *socket.Socket, c *C, table eventTable[C]) {
	s.Use(func(args []any, _ func(error)) {
		ticket, refused, args := takeTicket(args)
		if refused {
			refuseEvent(d, s, table, args)
			return
		}
		if ticket != nil {
			ticket.claim()
		}
		d.workers.run(func() {
			if ticket != nil {
				defer ticket.release()
				ticket.wait()
			}
			handleEvent(d, s, c, table, args)
		})
	})
}

// handleEvent runs one client event; args are the event name, its arguments
// and maybe an ack callback.
func handleEvent[C any](d *sioDoor, s *socket.Socket, c *C, table eventTable[C], args []any) {
	if len(args) == 0 || !s.Connected() {
		return
	}
	name, _ := args[0].(string)
	d.opts.Metrics.EventIn(name)
	h, ok := table[name]
	if !ok {
		return // unknown events were never answered; they still take their turn
	}
	payload, ack := splitArgs(args[1:])
	ctx, cancel := d.eventCtx()
	defer cancel()
	result, err := h(d, ctx, s, c, payload, ack != nil)
	if err != nil {
		d.fail(s, ack, err)
		return
	}
	if ack != nil {
		if result == nil {
			result = map[string]any{}
		}
		result["status"] = "success"
		ack([]any{result}, nil)
	}
}

// refuseEvent answers an event the decoder refused as over the connection's
// budget (unknown events were never answered, refused or not).
func refuseEvent[C any](d *sioDoor, s *socket.Socket, table eventTable[C], args []any) {
	if len(args) == 0 || !s.Connected() {
		return
	}
	name, _ := args[0].(string)
	d.opts.Metrics.EventIn(name)
	if _, ok := table[name]; !ok {
		return
	}
	_, ack := splitArgs(args[1:])
	d.fail(s, ack, errRateLimited)
}

// takeTicket removes the decoder's mark from an event's arguments: its ticket,
// or refusedEvent. It sits last, or just before the ack callback socket.io
// appends.
func takeTicket(args []any) (ticket *orderTicket, refused bool, rest []any) {
	for i := len(args) - 1; i >= 0 && i >= len(args)-2; i-- {
		t, isTicket := args[i].(*orderTicket)
		_, isRefused := args[i].(refusedEvent)
		if isTicket || isRefused {
			out := make([]any, 0, len(args)-1)
			out = append(out, args[:i]...)
			return t, isRefused, append(out, args[i+1:]...)
		}
	}
	return nil, false, args
}
