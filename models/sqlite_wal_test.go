package models_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/izpochat/server/config"
	"github.com/izpochat/server/models"
)

// With the server's own SQLite settings (config.Load with DATA_DIR), the WAL is
// checkpointed and restarted after ~300 pages, not SQLite's default 1,000: its
// file stays well under what 600 one-page rows would take.
func TestSQLiteWALIsCheckpointedEarly(t *testing.T) {
	const rows, rowBytes = 600, 4000 // about one WAL page per row
	dir := t.TempDir()
	cfg, err := config.Load(func(k string) string {
		return map[string]string{"DATA_DIR": dir, "JWT_SECRET_KEY": strings.Repeat("k", 32)}[k]
	}, "")
	if err != nil {
		t.Fatal(err)
	}
	db, err := models.Open(context.Background(), cfg.Database, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer models.Close(db)
	if err := db.Exec("CREATE TABLE blobs (id INTEGER PRIMARY KEY, body TEXT)").Error; err != nil {
		t.Fatal(err)
	}
	body := strings.Repeat("x", rowBytes)
	for range rows {
		if err := db.Exec("INSERT INTO blobs (body) VALUES (?)", body).Error; err != nil {
			t.Fatal(err)
		}
	}
	var n int64
	if err := db.Raw("SELECT COUNT(*) FROM blobs").Scan(&n).Error; err != nil || n != rows {
		t.Fatalf("counted %d rows (%v), want %d", n, err, rows)
	}
	path, _, _ := strings.Cut(cfg.Database.DSN, "?")
	st, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	if limit := int64(400 * 4096); st.Size() > limit {
		t.Fatalf("WAL is %d bytes after %d one-page rows, want at most %d (checkpoints every ~300 pages)", st.Size(), rows, limit)
	}
}
