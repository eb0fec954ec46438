package config

import (
	"path/filepath"
	"testing"

	"github.com/glebarez/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// TestSQLiteDSNPragmas opens the generated DSN with the driver the server uses
// and checks the pragmas actually took effect on the connection.
func TestSQLiteDSNPragmas(t *testing.T) {
	dir := t.TempDir()
	cfg := mustLoad(t, map[string]string{"DATA_DIR": dir})
	if cfg.Database.Path != filepath.Join(dir, "izpochat.db") {
		t.Fatalf("Path = %s", cfg.Database.Path)
	}
	db, err := gorm.Open(sqlite.Open(cfg.Database.DSN), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sqlDB.Close() })

	pragmas := map[string]string{
		"journal_mode": "wal",
		"foreign_keys": "1",
		"busy_timeout": "5000",
		"synchronous":  "1", // NORMAL
	}
	for name, want := range pragmas {
		var got string
		if err := db.Raw("PRAGMA " + name).Scan(&got).Error; err != nil {
			t.Fatalf("PRAGMA %s: %v", name, err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %q, want %q", name, got, want)
		}
	}
}
