package wstransport

import (
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zishang520/socket.io/v2/socket"
)

// BenchmarkBroadcast broadcasts to 50 room members over real sockets and
// reports heap allocations per delivered message (server and the in-process
// test clients together; the clients read allocation-free).
func BenchmarkBroadcast(b *testing.B) {
	const members = 50
	useTransport(b, NewBuilder(Options{QueueSize: 1 << 20}))
	srv := startServer(b, nil, func(s *socket.Socket) { s.Join("r") })

	payload := strings.Repeat("x", 100)
	frameLen := len(`42["m",""]`) + len(payload)
	counts := make([]atomic.Int64, members)
	var bad atomic.Int64
	for i := 0; i < members; i++ {
		c, _ := connectV4(b, srv, 0)
		c.startCounting(frameLen, &counts[i], &bad)
	}

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		srv.io.To("r").Emit("m", payload)
	}
	deadline := time.Now().Add(time.Minute)
	for i := range counts {
		for counts[i].Load() < int64(b.N) {
			if time.Now().After(deadline) {
				b.Fatalf("member %d got %d of %d", i, counts[i].Load(), b.N)
			}
			time.Sleep(time.Millisecond)
		}
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	deliveries := float64(b.N * members)
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/deliveries, "allocs/delivery")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/deliveries, "B/delivery")
	b.ReportMetric(b.Elapsed().Seconds()*1e9/deliveries, "ns/delivery")
	if bad.Load() != 0 {
		b.Fatalf("%d malformed frames", bad.Load())
	}
}
