//go:build unix

package chat

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/izpochat/server/auth"
	"github.com/izpochat/server/config"
	"github.com/izpochat/server/internal/testdb"
	"github.com/izpochat/server/models"
)

// postFixture is the fan-out benchmark's shape on SQLite: public rooms, users who
// belong to every room, and a listener that only counts deliveries.
type postFixture struct {
	svc       *Service
	actors    []Actor
	rooms     []int64
	delivered atomic.Int64
}

func newPostFixture(b *testing.B, rooms, users int) *postFixture {
	b.Helper()
	ctx := context.Background()
	store := models.NewStore(testdb.Open(b, "sqlite"))
	f := &postFixture{svc: New(Deps{Store: store, Tokens: auth.NewTokens([]byte("k"), time.Hour), AccessTTL: DefaultAccessTTL,
		WriteTimeout: config.DefaultDBWriteTimeout})} // as the server runs
	b.Cleanup(f.svc.Close)
	ids := make([]int64, users)
	for i := range users {
		name := fmt.Sprintf("user%d", i)
		u := &models.User{Username: name, Email: name + "@example.com", PasswordHash: "x", CreatedAt: Now()}
		if err := store.CreateUser(ctx, u); err != nil {
			b.Fatal(err)
		}
		ids[i] = u.ID
		f.actors = append(f.actors, Actor{ID: u.ID, Username: name, FullName: "User " + name})
	}
	for i := range rooms {
		r := &models.Room{Name: fmt.Sprintf("room%d", i), CreatedBy: ids[0], CreatedAt: Now()}
		if err := store.CreateRoom(ctx, r, ids...); err != nil {
			b.Fatal(err)
		}
		f.rooms = append(f.rooms, r.ID)
	}
	f.svc.Hub().Listen(func(ev Event) {
		if ev.Type == EventMessage {
			f.delivered.Add(1)
		}
	})
	return f
}

// post sends message i from a sender chosen by i (64 bytes, like the load generator's).
func (f *postFixture) post(b *testing.B, i int) {
	a := f.actors[i%len(f.actors)]
	room := f.rooms[(i/len(f.actors))%len(f.rooms)]
	if _, err := f.svc.PostMessage(context.Background(), a, room, PostInput{Content: benchContent}); err != nil {
		b.Error(err)
	}
}

const benchContent = "bench message 0123456789 0123456789 0123456789 0123456789 012345"

// cpuTime is the CPU this process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportStorePath adds what the storing path costs: process CPU per message and
// rows per commit.
func reportStorePath(b *testing.B, f *postFixture, n int, cpu time.Duration, commits int64, wall time.Duration) {
	b.ReportMetric(float64(cpu.Microseconds())/float64(n), "cpu-µs/msg")
	b.ReportMetric(float64(n)/float64(max(commits, 1)), "msgs/commit")
	b.ReportMetric(float64(commits)/wall.Seconds(), "commits/s")
	if got := f.delivered.Load(); got != int64(n) {
		b.Fatalf("delivered %d messages, want %d", got, n)
	}
}

// BenchmarkPostMessage posts as fast as many concurrent posters can (the
// writer always busy): ns/op and allocs/op of the whole storing path.
//
//	go test -run x -bench 'PostMessage$' -benchmem -cpu 1 ./chat/
func BenchmarkPostMessage(b *testing.B) {
	f := newPostFixture(b, 50, 20)
	var next atomic.Int64
	b.SetParallelism(64)
	b.ReportAllocs()
	commits0, cpu0, start := f.svc.writer.commits.Load(), cpuTime(), time.Now()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			f.post(b, int(next.Add(1)))
		}
	})
	b.StopTimer()
	reportStorePath(b, f, b.N, cpuTime()-cpu0, f.svc.writer.commits.Load()-commits0, time.Since(start))
}

// BenchmarkPostMessagePaced offers messages at a fixed rate from 1,000 posters
// with random (exponential) gaps, as connected clients do, and reports the CPU
// each message costs the process at that rate, and how long PostMessage took
// (p50, p99). "noop" is the pacing alone.
//
//	go test -run x -bench PostMessagePaced -benchtime 6000x -cpu 1 ./chat/
func BenchmarkPostMessagePaced(b *testing.B) {
	for _, rate := range []int{2000, 6000} {
		for _, mode := range []string{"post", "noop"} {
			b.Run(fmt.Sprintf("rate=%d/%s", rate, mode), func(b *testing.B) {
				f := newPostFixture(b, 50, 20)
				const posters = 1000
				mean := time.Duration(posters) * time.Second / time.Duration(rate)
				var next atomic.Int64
				var wg sync.WaitGroup
				done := make(chan struct{})
				took := make([]time.Duration, b.N) // how long each PostMessage took
				pause := func(d time.Duration) bool {
					t := time.NewTimer(d)
					defer t.Stop()
					select {
					case <-t.C:
						return true
					case <-done:
						return false
					}
				}
				b.ReportAllocs()
				commits0, cpu0, start := f.svc.writer.commits.Load(), cpuTime(), time.Now()
				b.ResetTimer()
				for range posters {
					wg.Add(1)
					go func() {
						defer wg.Done()
						ok := pause(time.Duration(rand.Int64N(int64(mean))))
						for ok {
							i := int(next.Add(1))
							if i > b.N {
								return
							}
							sent := time.Now()
							if mode == "post" {
								f.post(b, i)
							} else {
								f.delivered.Add(1)
							}
							took[i-1] = time.Since(sent)
							if i == b.N {
								close(done)
								return
							}
							ok = pause(time.Duration(rand.ExpFloat64()*float64(mean)) - time.Since(sent))
						}
					}()
				}
				wg.Wait()
				b.StopTimer()
				reportStorePath(b, f, b.N, cpuTime()-cpu0, f.svc.writer.commits.Load()-commits0, time.Since(start))
				slices.Sort(took)
				b.ReportMetric(float64(took[len(took)/2].Microseconds()), "p50-µs")
				b.ReportMetric(float64(took[len(took)*99/100].Microseconds()), "p99-µs")
			})
		}
	}
}
