package main

import (
	"math/bits"
	"time"
)

// histogram counts latencies in microseconds in log-linear buckets: exact below
// 64 µs, then 32 buckets per power of two (about 3% resolution). It is a fixed
// array so recording never allocates.
type histogram struct {
	counts [histBuckets]uint64
	total  uint64
	max    uint64
}

const (
	histLinear  = 64
	histSubBits = 5
	histSub     = 1 << histSubBits
	histBuckets = histLinear + 59*histSub
)

func bucketOf(us uint64) int {
	if us < histLinear {
		return int(us)
	}
	e := bits.Len64(us) - (histSubBits + 1) // us in [2^(e+5), 2^(e+6))
	m := us >> uint(e)                      // in [32, 64)
	return histLinear + (e-1)*histSub + int(m-histSub)
}

// bucketUpper is the largest value that falls in bucket i.
func bucketUpper(i int) uint64 {
	if i < histLinear {
		return uint64(i)
	}
	e := (i-histLinear)/histSub + 1
	m := uint64((i-histLinear)%histSub + histSub)
	return ((m + 1) << uint(e)) - 1
}

func (h *histogram) record(d time.Duration) {
	us := uint64(0)
	if d > 0 {
		us = uint64(d / time.Microsecond)
	}
	h.counts[bucketOf(us)]++
	h.total++
	if us > h.max {
		h.max = us
	}
}

func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.total += o.total
	if o.max > h.max {
		h.max = o.max
	}
}

// quantile returns the upper bound of the bucket holding quantile q (0..1), in µs.
func (h *histogram) quantile(q float64) uint64 {
	if h.total == 0 {
		return 0
	}
	rank := uint64(q*float64(h.total) + 0.5)
	if rank < 1 {
		rank = 1
	}
	if rank > h.total {
		rank = h.total
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return min(bucketUpper(i), h.max)
		}
	}
	return h.max
}

// Latency is a latency summary in milliseconds.
type Latency struct {
	Count uint64  `json:"count"`
	P50   float64 `json:"p50_ms"`
	P90   float64 `json:"p90_ms"`
	P99   float64 `json:"p99_ms"`
	Max   float64 `json:"max_ms"`
}

func (h *histogram) summary() Latency {
	ms := func(us uint64) float64 { return float64(us) / 1000 }
	return Latency{Count: h.total, P50: ms(h.quantile(0.50)), P90: ms(h.quantile(0.90)), P99: ms(h.quantile(0.99)), Max: ms(h.max)}
}
