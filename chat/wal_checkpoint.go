package chat

import (
	"context"
	"log/slog"
)

// walCheckpoints checkpoints SQLite's write-ahead log from the message writer,
// between two of its commits, instead of SQLite doing it inside the commit
// that takes the log past its limit (its wal_autocheckpoint stays as a
// backstop for the other writers). Inside a commit the checkpoint (about 2 ms
// for 300 pages on the benchmark machine, more under load) delayed that
// batch's delivery and every post that arrived meanwhile, and it made the
// commit look long to the commit spacing, which then waited up to 5 ms more.
// Here the batch just stored goes to the doors first (the writer yields before
// it checkpoints), and the checkpoint is no part of the commit's time.
type walCheckpoints struct {
	every int // messages stored between two checkpoints
	since int // messages stored since the last one

	run   func(context.Context) error
	yield func()
	log   *slog.Logger
}

// checkpointEvery: a message takes about two WAL pages (its table page is
// shared with its neighbours, but each of the messages indexes puts it on a
// page of its own), so 128 messages make about the 300 pages measured best in
// the fan-out benchmark: fewer pages, more frequent stalls; more pages, longer
// ones (bench/RESULTS.md).
const checkpointEvery = 128

// yieldsBeforeCheckpoint let the publishing stage hand the batch just stored to
// the doors, and the websocket flusher write it, before the checkpoint holds
// the processor.
const yieldsBeforeCheckpoint = 2

// stored counts n messages just committed, and checkpoints once every
// messages have been since the last checkpoint.
func (c *walCheckpoints) stored(n int) {
	if c.run == nil {
		return
	}
	c.since += n
	if c.since < c.every {
		return
	}
	c.since = 0
	for range yieldsBeforeCheckpoint {
		c.yield()
	}
	if err := c.run(context.Background()); err != nil {
		// Nothing is lost: the log keeps every frame until a checkpoint succeeds,
		// and SQLite's own checkpoint still bounds it.
		c.log.Warn("wal checkpoint failed", "err", err)
	}
}
