package chat

import (
	"context"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/izpochat/server/auth"
	"github.com/izpochat/server/config"
	"github.com/izpochat/server/internal/testdb"
	"github.com/izpochat/server/models"
)

// A batch holding a row that cannot be stored (its room was deleted after the
// access check) stores the other rows, in order, and fails only that poster.
func TestWriterBatchWithOneBadRowStoresTheRest(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		store := models.NewStore(db)
		svc := New(Deps{Store: store, Tokens: auth.NewTokens([]byte("k"), time.Hour)})
		t.Cleanup(svc.Close)
		a, room := aliceInARoom(ctx, t, svc)
		name := "doomed"
		doomed, err := svc.CreateRoom(ctx, a, RoomInput{Name: &name})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := store.DeleteRoom(ctx, doomed.ID); err != nil {
			t.Fatal(err)
		}

		// A writer that is not running: the batch is written by hand, at once.
		q := &sequencer{store: store, stored: make(chan storedBatch, 1)}
		var batch []*pendingPost
		for i, roomID := range []int64{room.ID, doomed.ID, room.ID, room.ID} {
			batch = append(batch, &pendingPost{msg: &models.Message{Content: string(rune('a' + i)), UserID: a.ID, RoomID: roomID, CreatedAt: Now()}})
		}
		q.write(batch)
		<-q.stored
		for i, p := range batch {
			if bad := i == 1; (p.err != nil) != bad || (p.msg.ID != 0) == bad {
				t.Fatalf("post %d (room %d): err %v, id %d", i, p.msg.RoomID, p.err, p.msg.ID)
			}
		}
		if !(batch[0].msg.ID < batch[2].msg.ID && batch[2].msg.ID < batch[3].msg.ID) {
			t.Fatalf("ids %d %d %d: not in batch order", batch[0].msg.ID, batch[2].msg.ID, batch[3].msg.ID)
		}
		var stored int64
		db.Model(&models.Message{}).Where("room_id = ?", room.ID).Count(&stored)
		if stored != 3 {
			t.Fatalf("stored %d messages of the live room, want 3", stored)
		}

		// Through the service: the poster to a deleted room hears "not found".
		_, err = svc.PostMessage(ctx, a, doomed.ID, PostInput{Content: "late"})
		if KindOf(err) != KindNotFound {
			t.Fatalf("post to a deleted room: %v (kind %v)", err, KindOf(err))
		}
	})
}

// holdWriteLock makes the database hang for writers of messages until the
// returned release is called: PostgreSQL through LOCK TABLE messages in
// another transaction, SQLite through another connection's write transaction.
func holdWriteLock(t *testing.T, db *gorm.DB, driver string) (release func()) {
	t.Helper()
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	tx, err := sqlDB.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if driver == config.DriverPostgres {
		_, err = tx.Exec("LOCK TABLE messages IN ACCESS EXCLUSIVE MODE")
	} else {
		// _txlock=immediate: the transaction holds the write lock already; a
		// write makes sure of it.
		_, err = tx.Exec("UPDATE rooms SET name = name WHERE id = 0")
	}
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release = func() { once.Do(func() { _ = tx.Rollback() }) }
	t.Cleanup(release)
	return release
}

// A hung database cannot hang posts: past DB_WRITE_TIMEOUT the poster gets the
// contract's 503 (unavailable), posts queued behind it too, and once the
// database answers again posting works.
func TestWriterHungDatabaseAnswers503WithinTheDeadline(t *testing.T) {
	for _, driver := range testdb.Drivers() {
		t.Run(driver, func(t *testing.T) {
			db := testdb.Open(t, driver)
			ctx := context.Background()
			const timeout = 300 * time.Millisecond
			svc := New(Deps{Store: models.NewStore(db), Tokens: auth.NewTokens([]byte("k"), time.Hour), WriteTimeout: timeout})
			t.Cleanup(svc.Close)
			a, room := aliceInARoom(ctx, t, svc)
			release := holdWriteLock(t, db, driver)

			const posters = 3
			var wg sync.WaitGroup
			took := make([]time.Duration, posters)
			errs := make([]error, posters)
			for i := range posters {
				wg.Add(1)
				go func() {
					defer wg.Done()
					start := time.Now()
					_, errs[i] = svc.PostMessage(ctx, a, room.ID, PostInput{Content: "hello?"})
					took[i] = time.Since(start)
				}()
			}
			wg.Wait()
			for i := range posters {
				if KindOf(errs[i]) != KindUnavailable || took[i] > timeout+2*time.Second {
					t.Fatalf("post %d on a hung database: %v (kind %v) after %v, want unavailable within about %v", i, errs[i], KindOf(errs[i]), took[i], timeout)
				}
			}
			// Once the lock is gone, posting works again as soon as the writer's
			// running statement ends (SQLite's busy handler retries on its own
			// schedule; until then posts fail fast).
			release()
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
				_, err := svc.PostMessage(ctx, a, room.ID, PostInput{Content: "back"})
				if err == nil {
					break
				}
				if KindOf(err) != KindUnavailable || time.Now().After(deadline) {
					t.Fatalf("post after the database came back: %v", err)
				}
			}
		})
	}
}

// slowBroker is a Broker whose every publish takes delay (a Redis far away),
// recording the message ids it carried.
type slowBroker struct {
	delay time.Duration
	mu    sync.Mutex
	ids   []int64
}

func (b *slowBroker) Publish(_ context.Context, ev Event) error {
	time.Sleep(b.delay)
	if ev.Message != nil {
		b.mu.Lock()
		b.ids = append(b.ids, ev.Message.ID)
		b.mu.Unlock()
	}
	return nil
}

func (b *slowBroker) Start(context.Context, func(Event)) error { return nil }

func (b *slowBroker) carried() []int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]int64(nil), b.ids...)
}

// A slow broker delays neither the poster's answer nor local delivery, and
// still carries every message to the other instances in stored order.
func TestWriterSlowBrokerDoesNotDelayAcks(t *testing.T) {
	ctx := context.Background()
	broker := &slowBroker{delay: 300 * time.Millisecond}
	svc := New(Deps{Store: models.NewStore(testdb.Open(t, "sqlite")), Tokens: auth.NewTokens([]byte("k"), time.Hour),
		Hub: NewHub("test", broker)})
	a, room := aliceInARoom(ctx, t, svc)
	local := make(chan int64, 16)
	defer svc.Hub().Listen(func(ev Event) {
		if ev.Type == EventMessage {
			local <- ev.Message.ID
		}
	})()

	const n = 5
	var want []int64
	start := time.Now()
	for range n {
		m, err := svc.PostMessage(ctx, a, room.ID, PostInput{Content: "quick"})
		if err != nil {
			t.Fatal(err)
		}
		if got := <-local; got != m.ID {
			t.Fatalf("delivered here %d, posted %d", got, m.ID)
		}
		want = append(want, m.ID)
	}
	if took := time.Since(start); took > n*broker.delay/2 {
		t.Fatalf("%d posts took %v with a broker taking %v a publish: the answers waited for it", n, took, broker.delay)
	}
	svc.Close() // waits for the broker to carry what is queued
	if got := broker.carried(); len(got) != n || !sliceEqual(got, want) {
		t.Fatalf("broker carried %v, want %v in stored order", got, want)
	}
}

func sliceEqual(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
