//go:build unix

package models_test

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/izpochat/server/internal/testdb"
	"github.com/izpochat/server/models"
)

// BenchmarkInsertMessages measures the group-commit insert on SQLite, per message.
func BenchmarkInsertMessages(b *testing.B) {
	for _, n := range []int{1, 2, 4, 8, 16, 128} {
		b.Run(fmt.Sprintf("batch%d", n), func(b *testing.B) {
			db := testdb.Open(b, "sqlite")
			store := models.NewStore(db)
			userID, roomID := seedRoom(b, store)
			ctx := context.Background()
			b.ReportAllocs()
			cpu0 := cpuTime()
			b.ResetTimer()
			for b.Loop() {
				msgs := newMessages(n, userID, roomID, "bench") // a few hundred ns a message
				if err := store.InsertMessages(ctx, msgs); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/msg")
			// Process CPU: what a message costs the server's one core, which wall
			// time hides behind fsync waits.
			b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N*n), "cpu-ns/msg")
		})
	}
}

// cpuTime is the CPU this process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
