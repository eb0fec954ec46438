package wiring

import "github.com/izpochat/server/sockets"

// Option changes what New wires beyond the configuration; only tests use one.
type Option func(*options)

type options struct {
	sockets func(*sockets.Options)
}

// WithSocketOptions lets a test set what the real-time doors take that no
// setting configures (e.g. the write timeout), after New has filled them in; several apply in order.
func WithSocketOptions(adjust func(*sockets.Options)) Option {
	return func(o *options) {
		if before := o.sockets; before != nil {
			o.sockets = func(so *sockets.Options) { before(so); adjust(so) }
			return
		}
		o.sockets = adjust
	}
}
