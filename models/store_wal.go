package models

import (
	"context"
	"fmt"
)

// WALCheckpoint is what one checkpoint of SQLite's write-ahead log did.
type WALCheckpoint struct {
	Busy         bool // a reader or writer kept it from copying everything
	Frames       int  // frames in the log
	Checkpointed int  // frames copied into the database file
}

// CheckpointWAL copies what SQLite's write-ahead log holds into the database
// file, without waiting for readers or writers (PASSIVE); once all of it is
// copied the next commit starts the log over. The message writer calls it
// between its commits (see chat's walCheckpoints); PostgreSQL needs nothing.
func (s *Store) CheckpointWAL(ctx context.Context) (WALCheckpoint, error) {
	if s.Dialect() != "sqlite" {
		return WALCheckpoint{}, nil
	}
	db, err := s.db.DB()
	if err != nil {
		return WALCheckpoint{}, fmt.Errorf("checkpoint wal: %w", err)
	}
	var busy int
	var c WALCheckpoint
	if err := db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &c.Frames, &c.Checkpointed); err != nil {
		return WALCheckpoint{}, fmt.Errorf("checkpoint wal: %w", err)
	}
	c.Busy = busy != 0
	return c, nil
}
