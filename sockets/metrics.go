package sockets

import (
	"time"

	"github.com/izpochat/server/chat"
)

// observeDelivery records how long a stored message took to be queued to a
// door's clients: once per message and door, not per recipient, so a broadcast
// to a large room costs one histogram observation.
func observeDelivery(d interface{ ObserveDelivery(time.Duration) }, msg *chat.Message) {
	// Clocks of two instances may disagree by a little: never a negative latency.
	d.ObserveDelivery(max(0, time.Since(time.Time(msg.CreatedAt))))
}
