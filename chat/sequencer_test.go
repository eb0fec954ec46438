package chat

import (
	"context"
	"fmt"
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
