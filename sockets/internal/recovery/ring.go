package recovery

import "time"

// packetQueue is the recovery adapter's kept packets, oldest first, in a ring
// that grows by doubling up to the bound it is given and shrinks when mostly
// empty: a busy server keeps exactly the bound's worth of entries (the array
// is scanned by every garbage collection, so it should not be larger than
// what it holds), an idle one none. It also counts the bytes its packets hold,
// so the adapter can bound them (makeRoom).
type packetQueue struct {
	ring  []keptPacket
	head  int // index of the oldest packet
	n     int
	bytes int // the kept packets' sizes (keptPacket.size)
	// dropped is the highest seq that was kept and then dropped (evicted or
	// expired): a client whose last packet is older missed something no longer
	// kept. Offsets never kept (live-only emits, BroadcastLive) are no gap.
	dropped uint64
}

// minRing is the smallest ring allocated.
const minRing = 64

func (q *packetQueue) len() int { return q.n }

// at returns the i-th oldest packet, 0 <= i < len().
func (q *packetQueue) at(i int) *keptPacket { return &q.ring[(q.head+i)%len(q.ring)] }

// push appends k, first dropping the oldest packet when bound are kept.
func (q *packetQueue) push(k keptPacket, bound int) {
	if q.n >= bound {
		q.dropOldest()
	}
	if q.n == len(q.ring) {
		q.resize(min(max(minRing, 2*len(q.ring)), max(bound, 1)))
	}
	q.ring[(q.head+q.n)%len(q.ring)] = k
	q.n++
	q.bytes += int(k.size)
}

// makeRoom drops the oldest packets until one of size more bytes fits in
// maxBytes (<= 0: no byte bound). A packet larger than the bound alone is
// still kept, alone: the bound is then exceeded by one packet's size.
func (q *packetQueue) makeRoom(size, maxBytes int) {
	if maxBytes <= 0 {
		return
	}
	for q.n > 0 && q.bytes+size > maxBytes {
		q.dropOldest()
	}
}

// dropOld drops packets kept before cutoff and the oldest beyond bound.
func (q *packetQueue) dropOld(cutoff time.Time, bound int) {
	limit := cutoff.UnixNano()
	for q.n > 0 && (q.n > bound || q.at(0).at < limit) {
		q.dropOldest()
	}
	switch {
	case q.n == 0:
		// Nothing kept: let the ring go too (it grows to a busy period's size,
		// and an idle server should not keep it).
		q.ring, q.head = nil, 0
	case len(q.ring) > minRing && q.n <= len(q.ring)/4:
		q.resize(len(q.ring) / 2)
	}
}

func (q *packetQueue) dropOldest() {
	q.dropped = max(q.dropped, q.at(0).seq)
	q.bytes -= int(q.at(0).size)
	*q.at(0) = keptPacket{} // release the packet's data
	q.head = (q.head + 1) % len(q.ring)
	q.n--
}

// resize moves the kept packets, oldest first, to a ring of size >= q.n.
func (q *packetQueue) resize(size int) {
	ring := make([]keptPacket, size)
	for i := range q.n {
		ring[i] = *q.at(i)
	}
	q.ring, q.head = ring, 0
}
