package main

import (
	"sync"
	"time"
)

// receiver is one connection's delivery bookkeeping. Only its reader writes it
// during a step; the step's collector locks it to read and reset.
type receiver struct {
	mu   sync.Mutex
	room int
	// hist is shared by the room's receivers: one 16 KiB histogram per room
	// stays in cache, one per connection would not.
	hist *sharedHist
	// seen[sender] is a bitset of the measured sequence numbers received.
	seen map[int][]uint64
	recvCounts
}

type recvCounts struct {
	Received   uint64 `json:"received"`   // unique measured deliveries
	Duplicates uint64 `json:"duplicates"` // measured deliveries seen twice
	Stale      uint64 `json:"stale"`      // deliveries from an earlier step
	Foreign    uint64 `json:"foreign"`    // deliveries from another room's sender
	Warmup     uint64 `json:"warmup"`     // deliveries sent during warmup
	Malformed  uint64 `json:"malformed"`  // new_message without a bench marker
}

// sharedHist is a histogram several readers record into.
type sharedHist struct {
	mu sync.Mutex
	h  histogram
}

func (s *sharedHist) record(d time.Duration) {
	s.mu.Lock()
	s.h.record(d)
	s.mu.Unlock()
}

// drain adds the histogram to h and resets it.
func (s *sharedHist) drain(h *histogram) {
	s.mu.Lock()
	h.merge(&s.h)
	s.h = histogram{}
	s.mu.Unlock()
}

func newReceiver(room int, hist *sharedHist) *receiver {
	return &receiver{room: room, hist: hist, seen: map[int][]uint64{}}
}

func (r *receiver) deliver(packet []byte, run *runState) {
	now := time.Now().UnixNano()
	m, err := parseMarker(packet)
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case err != nil:
		r.Malformed++
	case int64(m.step) != run.step.Load():
		r.Stale++
	case m.phase != phaseMeasure:
		r.Warmup++
	case m.sender < 0 || m.sender >= len(run.senderRoom) || run.senderRoom[m.sender] != r.room:
		r.Foreign++
	default:
		bits := r.seen[m.sender]
		word := m.seq / 64
		if word >= len(bits) {
			bits = append(bits, make([]uint64, word+1-len(bits))...)
			r.seen[m.sender] = bits
		}
		mask := uint64(1) << (m.seq % 64)
		if bits[word]&mask != 0 {
			r.Duplicates++
			return
		}
		bits[word] |= mask
		r.Received++
		r.hist.record(time.Duration(now - m.sentNS))
		run.unique.Add(1)
	}
}

// collect adds this receiver's step counts to the totals and resets them
// (latencies are collected from the room's shared histogram).
func (r *receiver) collect(c *recvCounts) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c.Received += r.Received
	c.Duplicates += r.Duplicates
	c.Stale += r.Stale
	c.Foreign += r.Foreign
	c.Warmup += r.Warmup
	c.Malformed += r.Malformed
	r.recvCounts = recvCounts{}
	clear(r.seen)
}
