package chat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/izpochat/server/auth"
	"github.com/izpochat/server/config"
	"github.com/izpochat/server/internal/testdb"
	"github.com/izpochat/server/models"
)

// The writer checkpoints once every so many stored messages, after yielding
// to the goroutines that deliver what it just stored; a failed checkpoint is
// logged and the count starts over.
func TestWALCheckpointsRunEveryNMessages(t *testing.T) {
	var log []string
	c := walCheckpoints{every: 10, log: slog.New(slog.DiscardHandler),
		yield: func() { log = append(log, "yield") },
		run: func(context.Context) error {
			log = append(log, "checkpoint")
			if len(log) > 3 {
				return errors.New("database is locked")
			}
			return nil
		}}
	for _, n := range []int{3, 3, 3} {
		c.stored(n)
	}
	if len(log) != 0 {
		t.Fatalf("after 9 messages: %v, want nothing", log)
	}
	c.stored(1)
	if want := "[yield yield checkpoint]"; fmt.Sprint(log) != want {
		t.Fatalf("after 10 messages: %v, want %s", log, want)
	}
	c.stored(25) // one batch bigger than every: one checkpoint, not two
	c.stored(9)
	if len(log) != 6 {
		t.Fatalf("after a batch of 25 and 9 more: %v, want two checkpoints in all", log)
	}
	c.stored(1) // the failed checkpoint reset the count too
	if len(log) != 9 {
		t.Fatalf("%v: want a third checkpoint 10 messages after the failed one", log)
	}
}

// Posting through the service keeps SQLite's log well short of the 1,000
// pages at which SQLite would checkpoint inside a commit: the writer
// checkpoints first (here every 32 messages, about 160 pages). Without it the
// log grows to ~1,000 pages.
func TestMessageWriterCheckpointsSQLiteWAL(t *testing.T) {
	cfg := testdb.Config(t, config.DriverSQLite)
	db := testdb.OpenEmpty(t, cfg)
	if err := models.Migrate(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	svc := New(Deps{Store: models.NewStore(db), Tokens: auth.NewTokens([]byte("k"), time.Hour)})
	t.Cleanup(svc.Close)
	svc.writer.checkpoints.every = 32 // read by the writer only after it takes a post
	a, room := aliceInARoom(ctx, t, svc)
	const posts = 400
	for i := range posts {
		if _, err := svc.PostMessage(ctx, a, room.ID, PostInput{Content: fmt.Sprintf("message %d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	st, err := os.Stat(cfg.Path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	pages := st.Size() / 4096
	t.Logf("WAL: %d pages after %d posts", pages, posts)
	if pages > 400 {
		t.Fatalf("WAL grew to %d pages after %d posts, want at most 400 (a checkpoint every 32 messages)", pages, posts)
	}
}
