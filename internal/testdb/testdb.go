// Package testdb gives tests a fresh, migrated database of each kind the server
// supports: embedded SQLite in a temp dir, and the real PostgreSQL in a schema of
// its own, so parallel runs never collide.
package testdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/izpochat/server/config"
	"github.com/izpochat/server/models"
)

// Drivers lists the databases every storage test runs against. IZPO_TEST_DRIVERS
// (e.g. "sqlite") narrows it for a quick local run; CI runs both.
func Drivers() []string {
	if v := os.Getenv("IZPO_TEST_DRIVERS"); v != "" {
		var out []string
		for _, d := range []string{config.DriverSQLite, config.DriverPostgres} {
			if strings.Contains(v, d) {
				out = append(out, d)
			}
		}
		return out
	}
	return []string{config.DriverSQLite, config.DriverPostgres}
}

// PostgresURL is the server tests use: IZPO_TEST_POSTGRES_URL, else the machine's.
func PostgresURL() string {
	if v := os.Getenv("IZPO_TEST_POSTGRES_URL"); v != "" {
		return v
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// Each runs fn once per driver as a subtest named after it.
func Each(t *testing.T, fn func(t *testing.T, db *gorm.DB)) {
	t.Helper()
	for _, driver := range Drivers() {
		t.Run(driver, func(t *testing.T) { fn(t, Open(t, driver)) })
	}
}

// Config returns the database configuration of a fresh, empty database of driver
// (not migrated), removed when the test ends.
func Config(t testing.TB, driver string) config.Database {
	t.Helper()
	switch driver {
	case config.DriverSQLite:
		path := filepath.Join(t.TempDir(), "test.db")
		return config.Database{Driver: driver, Path: path, MaxOpenConns: 4, MaxIdleConns: 4,
			DSN: path + "?" + config.SQLitePragmas}
	case config.DriverPostgres:
		schema := "t_" + randomHex(6)
		admin, err := models.Open(context.Background(), config.Database{Driver: driver, DSN: PostgresURL(), MaxOpenConns: 1}, quiet())
		if err != nil {
			t.Fatalf("testdb: PostgreSQL unavailable at %s (start it, or set IZPO_TEST_DRIVERS=sqlite): %v", PostgresURL(), err)
		}
		if err := admin.Exec("CREATE SCHEMA " + schema).Error; err != nil {
			t.Fatalf("testdb: create schema: %v", err)
		}
		t.Cleanup(func() {
			admin.Exec("DROP SCHEMA " + schema + " CASCADE")
			_ = models.Close(admin)
		})
		return config.Database{Driver: driver, DSN: PostgresURL() + "&search_path=" + schema, MaxOpenConns: 10, MaxIdleConns: 5}
	default:
		t.Fatalf("testdb: unknown driver %q", driver)
		return config.Database{}
	}
}

// Open returns a fresh migrated database of driver, closed when the test ends.
func Open(t testing.TB, driver string) *gorm.DB {
	t.Helper()
	db := OpenEmpty(t, Config(t, driver))
	if err := models.Migrate(context.Background(), db); err != nil {
		t.Fatalf("testdb: migrate: %v", err)
	}
	return db
}

// OpenEmpty opens cfg without migrating (for takeover tests that lay their own schema).
func OpenEmpty(t testing.TB, cfg config.Database) *gorm.DB {
	t.Helper()
	db, err := models.Open(context.Background(), cfg, quiet())
	if err != nil {
		t.Fatalf("testdb: open %s: %v", cfg.Driver, err)
	}
	t.Cleanup(func() { _ = models.Close(db) })
	return db
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("testdb: random: %v", err))
	}
	return hex.EncodeToString(b)
}
