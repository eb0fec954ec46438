package sockets

import "time"

// packetQueue is the recovery adapter's kept packets, oldest first: a slice
// with a head index, so dropping old packets does not copy the rest (the space
// before head is reclaimed once it is half the slice, amortised O(1)).
type packetQueue struct {
	items []keptPacket
	head  int
}

func (q *packetQueue) push(k keptPacket) { q.items = append(q.items, k) }

// all returns the kept packets, oldest first; valid until the next push or drop.
func (q *packetQueue) all() []keptPacket { return q.items[q.head:] }

func (q *packetQueue) len() int { return len(q.items) - q.head }

// dropOld drops packets kept before cutoff and the oldest beyond max.
func (q *packetQueue) dropOld(cutoff time.Time, max int) {
	for q.head < len(q.items) && (q.len() > max || q.items[q.head].at.Before(cutoff)) {
		q.items[q.head] = keptPacket{} // release the packet's data
		q.head++
	}
	if q.head == len(q.items) {
		// Nothing kept: let the array go too (it grows to a busy period's
		// size, and an idle server should not keep it).
		q.items, q.head = nil, 0
		return
	}
	if q.head >= 64 && q.head*2 >= len(q.items) {
		n := copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.items, q.head = q.items[:n], 0
	}
}
