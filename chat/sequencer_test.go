package chat

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/izpochat/server/auth"
	"github.com/izpochat/server/internal/testdb"
	"github.com/izpochat/server/models"
)

// Concurrent posts are stored in batches, and every listener sees them in the
// order of their ids: stored order is delivered order.
func TestConcurrentPostsAreDeliveredInStoredOrder(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		svc := New(Deps{Store: models.NewStore(db), Tokens: auth.NewTokens([]byte("k"), time.Hour)})
		t.Cleanup(svc.Close)
		var seen []int64
		var mu sync.Mutex
		svc.Hub().Listen(func(ev Event) {
			if ev.Type == EventMessage {
				mu.Lock()
				seen = append(seen, ev.Message.ID)
				mu.Unlock()
			}
		})
		a, room := aliceInARoom(ctx, t, svc)
		const senders, each = 10, 30
		var wg sync.WaitGroup
		errs := make(chan error, senders*each)
		for g := 0; g < senders; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < each; i++ {
					if _, err := svc.PostMessage(ctx, a, room.ID, PostInput{Content: fmt.Sprintf("m %d %d", g, i)}); err != nil {
						errs <- err
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(seen) != senders*each {
			t.Fatalf("delivered %d messages, want %d", len(seen), senders*each)
		}
		for i := 1; i < len(seen); i++ {
			if seen[i] <= seen[i-1] {
				t.Fatalf("delivery %d has id %d after %d: not in stored order", i, seen[i], seen[i-1])
			}
		}
		var stored int64
		db.Model(&models.Message{}).Where("room_id = ?", room.ID).Count(&stored)
		if stored != senders*each {
			t.Fatalf("stored %d messages, want %d", stored, senders*each)
		}
	})
}

// gatherFixture is a writer that is not running: gather is driven by hand, and
// yield stands for the other goroutines that run while the writer yields.
func gatherFixture(yield func(q *sequencer)) *sequencer {
	q := &sequencer{queue: make(chan *pendingPost, 4*sequencerBatch), gatherFor: maxGather}
	q.yield = func() { yield(q) }
	return q
}

// With nobody else queueing (an idle server), a lone post is committed after a
// single yield, which returns at once: no waiting for the time bound.
func TestGatherCommitsLonePostAtOnce(t *testing.T) {
	yields := 0
	q := gatherFixture(func(*sequencer) { yields++ })
	batch := q.gather([]*pendingPost{{}})
	if len(batch) != 1 || yields != 1 {
		t.Fatalf("lone post: batch of %d after %d yields, want 1 after 1", len(batch), yields)
	}
}

// The writer keeps yielding while that brings posts, and commits as soon as a
// yield brings none.
func TestGatherTakesPostsQueuedWhileYielding(t *testing.T) {
	yields := 0
	q := gatherFixture(func(q *sequencer) {
		yields++
		if yields <= 5 {
			q.queue <- &pendingPost{}
		}
	})
	q.gatherFor = time.Hour   // counts yields, not time: a slow machine must not cut it short
	q.queue <- &pendingPost{} // queued before the writer woke
	batch := q.gather([]*pendingPost{{}})
	if len(batch) != 7 || yields != 6 {
		t.Fatalf("batch of %d after %d yields, want 7 after 6", len(batch), yields)
	}
}

// Posts that keep coming do not hold a commit back for more than maxGather,
// nor make a batch larger than sequencerBatch.
func TestGatherIsBounded(t *testing.T) {
	q := gatherFixture(func(q *sequencer) {
		time.Sleep(maxGather / 4)
		q.queue <- &pendingPost{}
	})
	start := time.Now()
	batch := q.gather([]*pendingPost{{}})
	if len(batch) >= sequencerBatch || time.Since(start) < maxGather {
		t.Fatalf("endless posts: batch of %d after %v, want it cut at %v", len(batch), time.Since(start), maxGather)
	}

	q = gatherFixture(func(q *sequencer) {
		for range 2 * sequencerBatch {
			q.queue <- &pendingPost{}
		}
	})
	if batch := q.gather([]*pendingPost{{}}); len(batch) != sequencerBatch || len(q.queue) != sequencerBatch+1 {
		t.Fatalf("a flood of posts made a batch of %d and left %d queued, want %d and %d",
			len(batch), len(q.queue), sequencerBatch, sequencerBatch+1)
	}
}

// On one core, posters that are all ready to post share commits: the writer no
// longer commits each message alone as soon as the first post wakes it.
func TestConcurrentPostsShareCommitsOnOneCore(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	ctx := context.Background()
	db := testdb.Open(t, "sqlite")
	svc := New(Deps{Store: models.NewStore(db), Tokens: auth.NewTokens([]byte("k"), time.Hour)})
	t.Cleanup(svc.Close)
	a, room := aliceInARoom(ctx, t, svc)
	// The time bound is not under test (and -race on a busy machine can hit
	// it); the posts reach the writer through its queue, after this write.
	svc.writer.gatherFor = time.Hour
	const posters, each = 20, 10
	before := svc.writer.commits.Load()
	var wg sync.WaitGroup
	for range posters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				if _, err := svc.PostMessage(ctx, a, room.ID, PostInput{Content: "hi"}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	commits := svc.writer.commits.Load() - before
	if perCommit := float64(posters*each) / float64(commits); perCommit < 4 {
		t.Fatalf("%d posts took %d commits (%.1f a commit): posts ready together were not gathered", posters*each, commits, perCommit)
	}
}

// aliceInARoom registers alice and creates a public room of hers.
func aliceInARoom(ctx context.Context, t *testing.T, svc *Service) (Actor, Room) {
	t.Helper()
	sess, err := svc.Register(ctx, RegisterInput{Username: "alice", Email: "alice@example.com", Password: "secret1"})
	if err != nil {
		t.Fatal(err)
	}
	a := Actor{ID: sess.User.ID, Username: "alice"}
	name := "general"
	room, err := svc.CreateRoom(ctx, a, RoomInput{Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	return a, room
}
