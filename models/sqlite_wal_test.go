package models_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/izpochat/server/config"
	"github.com/izpochat/server/internal/testdb"
	"github.com/izpochat/server/models"
)

// CheckpointWAL copies the whole log into the database file (SQLite), after
// which the log starts over instead of growing; on PostgreSQL it does nothing.
func TestCheckpointWAL(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		store := models.NewStore(db)
		if store.Dialect() != config.DriverSQLite {
			if c, err := store.CheckpointWAL(ctx); err != nil || c != (models.WALCheckpoint{}) {
				t.Fatalf("checkpoint on %s: %+v, %v; want nothing done", store.Dialect(), c, err)
			}
			return
		}
		if err := db.Exec("CREATE TABLE blobs (id INTEGER PRIMARY KEY, body TEXT)").Error; err != nil {
			t.Fatal(err)
		}
		body := strings.Repeat("x", 4000) // about one WAL page a row
		insert := func(rows int) {
			t.Helper()
			for range rows {
				if err := db.Exec("INSERT INTO blobs (body) VALUES (?)", body).Error; err != nil {
					t.Fatal(err)
				}
			}
		}
		insert(100)
		c, err := store.CheckpointWAL(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if c.Busy || c.Frames < 100 || c.Checkpointed != c.Frames {
			t.Fatalf("checkpoint after 100 one-page rows: %+v, want all of >= 100 frames copied", c)
		}
		path := walPath(t, db)
		before := fileSize(t, path)
		insert(50) // fits in the log's first 100 frames again
		if after := fileSize(t, path); after != before {
			t.Fatalf("WAL grew from %d to %d bytes after the checkpoint: the log did not start over", before, after)
		}
		var n int64
		if err := db.Raw("SELECT COUNT(*) FROM blobs").Scan(&n).Error; err != nil || n != 150 {
			t.Fatalf("counted %d rows (%v), want 150", n, err)
		}
	})
}

func walPath(t *testing.T, db *gorm.DB) string {
	t.Helper()
	var file string
	if err := db.Raw("SELECT file FROM pragma_database_list WHERE name = 'main'").Scan(&file).Error; err != nil || file == "" {
		t.Fatalf("database file: %q (%v)", file, err)
	}
	return file + "-wal"
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}
