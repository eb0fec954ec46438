package chat

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/izpochat/server/auth"
	"github.com/izpochat/server/internal/testdb"
	"github.com/izpochat/server/models"
)

// The pause before a commit is spacingFactor times the last commit's length,
// at most maxSpacing; none before the first commit, none when it is too short
// to be worth a timer.
func TestCommitSpacingFollowsTheLastCommit(t *testing.T) {
	var slept []time.Duration
	c := commitSpacing{sleep: func(d time.Duration) { slept = append(slept, d) }}
	c.wait()
	c.committed(time.Millisecond)
	c.wait()
	c.committed(time.Second)
	c.wait()
	c.committed(time.Microsecond)
	c.wait()
	if len(slept) != 2 {
		t.Fatalf("slept %v: want two pauses (none before the first commit or after a 1 µs one)", slept)
	}
	if d := slept[0]; d > spacingFactor*time.Millisecond || d < spacingFactor*time.Millisecond/2 {
		t.Errorf("after a 1 ms commit paused %v, want about %v", d, spacingFactor*time.Millisecond)
	}
	if d := slept[1]; d > maxSpacing || d < maxSpacing/2 {
		t.Errorf("after a 1 s commit paused %v, want about %v", d, maxSpacing)
	}
}

// Posts that arrive while the writer waits after a commit are stored together
// in the next one.
func TestPostsArrivingDuringTheSpacingShareACommit(t *testing.T) {
	ctx := context.Background()
	svc := New(Deps{Store: models.NewStore(testdb.Open(t, "sqlite")), Tokens: auth.NewTokens([]byte("k"), time.Hour)})
	t.Cleanup(svc.Close)
	a, room := aliceInARoom(ctx, t, svc)
	const posters = 8
	q := svc.writer
	release := make(chan struct{})
	var once sync.Once
	q.spacing.sleep = func(time.Duration) {
		// Stands for the pause: returns once every poster has queued.
		deadline := time.Now().Add(10 * time.Second)
		for len(q.queue) < posters-1 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		once.Do(func() { close(release) })
	}
	q.spacing.next = time.Now().Add(time.Hour) // as after a commit: the next waits
	before := q.commits.Load()
	var wg sync.WaitGroup
	for range posters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := svc.PostMessage(ctx, a, room.ID, PostInput{Content: "hi"}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	select {
	case <-release:
	default:
		t.Fatal("the writer never paused before the commit")
	}
	if n := q.commits.Load() - before; n != 1 {
		t.Fatalf("%d posts arriving during the pause took %d commits, want 1", posters, n)
	}
}
