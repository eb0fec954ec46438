package sio

import (
	"github.com/zishang520/socket.io/v2/socket"

	"github.com/izpochat/server/sockets/internal/ordering"
)

// route makes table the socket's client events, handled one at a time in the
// order the connection received them, with the door's error event and acks.
// Events over the connection's budget come refused by the decoder
// (sockets/internal/ordering) and are answered at once, on the library's
// goroutine, with no worker.
//
// The router is the socket's event middleware, which socket.io runs on the
// packet's own goroutine before dispatching; it hands the event to the
// layer's workers. It never calls next: dispatching would emit the event once
// more on yet another goroutine, out of order. So client events must be
// registered here, never with s.On.
func route[C any](srv *Server, s *socket.Socket, c *C, table Events[C]) {
	s.Use(func(args []any, _ func(error)) {
		ticket, refused, args := ordering.Take(args)
		if refused {
			refuseEvent(srv, s, table, args)
			return
		}
		if ticket != nil {
			// The turn is waited for here, on the library's goroutine while its
			// stack is small, not on a worker: under a load the server falls
			// behind, each connection's events wait for each other, and waiting
			// workers each held the stack they had grown (~16 KiB; bench/RESULTS.md,
			// issue 25). A worker gets only an event whose turn has come.
			ticket.Claim()
			ticket.Wait()
		}
		srv.workers.Run(func() {
			if ticket != nil {
				defer ticket.Release()
			}
			handleEvent(srv, s, c, table, args)
		})
	})
}

// handleEvent runs one client event; args are the event name, its arguments
// and maybe an ack callback.
func handleEvent[C any](srv *Server, s *socket.Socket, c *C, table Events[C], args []any) {
	if len(args) == 0 || !s.Connected() {
		return
	}
	name, _ := args[0].(string)
	srv.opts.Metrics.EventIn(name)
	h, ok := table[name]
	if !ok {
		return // unknown events were never answered; they still take their turn
	}
	payload, ack := splitArgs(args[1:])
	ctx, cancel := srv.EventContext()
	defer cancel()
	result, err := h(ctx, s, c, payload, ack != nil)
	if err != nil {
		srv.opts.Fail(s, ack, err)
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
func refuseEvent[C any](srv *Server, s *socket.Socket, table Events[C], args []any) {
	if len(args) == 0 || !s.Connected() {
		return
	}
	name, _ := args[0].(string)
	srv.opts.Metrics.EventIn(name)
	if _, ok := table[name]; !ok {
		return
	}
	_, ack := splitArgs(args[1:])
	srv.opts.Fail(s, ack, srv.opts.RateLimited)
}

// splitArgs separates an event's payload from its ack callback.
func splitArgs(args []any) (payload any, ack socket.Ack) {
	if n := len(args); n > 0 {
		if a, ok := args[n-1].(func([]any, error)); ok {
			ack = a
			args = args[:n-1]
		}
	}
	if len(args) > 0 {
		payload = args[0]
	}
	return payload, ack
}
