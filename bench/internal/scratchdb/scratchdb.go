// Package scratchdb gives the database benchmark programs (bench/history,
// bench/unread, bench/search) an empty database of each driver they measure:
// SQLite in a temporary directory, PostgreSQL in a schema of its own, each
// removed when the measure is done.
package scratchdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/izpochat/server/config"
	"github.com/izpochat/server/models"
)

// Options say where PostgreSQL is and how the scratch databases are named.
type Options struct {
	// Name names the temporary directory and the schema ("search" →
	// search-bench-*, bench_search_*).
	Name string
	// PostgresURL is the database in which the schema is created and dropped.
	PostgresURL string
	// Keep leaves the PostgreSQL schema in place (its name is printed), to
	// EXPLAIN by hand.
	Keep bool
	Log  *slog.Logger
}

// Each runs measure on a fresh database of every driver in turn and removes it
// afterwards, stopping at the first error.
func Each(ctx context.Context, drivers []string, o Options, measure func(driver string, cfg config.Database) error) error {
	for _, driver := range drivers {
		cfg, cleanup, err := open(ctx, driver, o)
		if err != nil {
			return err
		}
		err = measure(driver, cfg)
		cleanup()
		if err != nil {
			return fmt.Errorf("%s: %w", driver, err)
		}
	}
	return nil
}

// open prepares an empty database of driver and returns how to remove it.
func open(ctx context.Context, driver string, o Options) (config.Database, func(), error) {
	switch driver {
	case config.DriverSQLite:
		dir, err := os.MkdirTemp("", o.Name+"-bench-")
		if err != nil {
			return config.Database{}, nil, fmt.Errorf("temp dir: %w", err)
		}
		path := filepath.Join(dir, "bench.db")
		return config.Database{Driver: driver, Path: path, MaxOpenConns: 4, MaxIdleConns: 4,
				DSN: path + "?_txlock=immediate&_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)"},
			func() { _ = os.RemoveAll(dir) }, nil
	case config.DriverPostgres:
		var b [6]byte
		_, _ = rand.Read(b[:])
		schema := "bench_" + o.Name + "_" + hex.EncodeToString(b[:])
		admin, err := models.Open(ctx, config.Database{Driver: driver, DSN: o.PostgresURL, MaxOpenConns: 1}, o.Log)
		if err != nil {
			return config.Database{}, nil, fmt.Errorf("connect to PostgreSQL: %w", err)
		}
		if err := admin.Exec("CREATE SCHEMA " + schema).Error; err != nil {
			_ = models.Close(admin)
			return config.Database{}, nil, fmt.Errorf("create schema: %w", err)
		}
		sep := "?"
		if strings.Contains(o.PostgresURL, "?") {
			sep = "&"
		}
		return config.Database{Driver: driver, DSN: o.PostgresURL + sep + "search_path=" + schema, MaxOpenConns: 10, MaxIdleConns: 5},
			func() {
				if o.Keep {
					fmt.Println("kept schema", schema)
				} else {
					admin.Exec("DROP SCHEMA " + schema + " CASCADE")
				}
				_ = models.Close(admin)
			}, nil
	default:
		return config.Database{}, nil, fmt.Errorf("unknown driver %q", driver)
	}
}
