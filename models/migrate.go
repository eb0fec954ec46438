package models

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"gorm.io/gorm"
)

// migrationFiles holds the numbered SQL migrations, one folder per dialect:
// migrations/<dialect>/NNNNN_what.sql. Version 1 is the baseline, in Go
// (migrate_baseline.go), because it must look at what is there first.
//
//go:embed migrations
var migrationFiles embed.FS

// baselineVersion is the Go migration that takes over whatever database it finds.
const baselineVersion = 1

// migrationLockID is the PostgreSQL advisory lock every instance takes before it
// looks at the schema: instances starting at once run the migrations one after
// another, and the later ones find nothing left to do.
const migrationLockID int64 = 0x697a706f63686174 // "izpochat"

// Migrate brings the schema up to date: every numbered migration not yet recorded
// in goose_db_version runs, each in its own transaction, under a PostgreSQL
// advisory lock (SQLite is one process's file: a plain run). Migrations only ever
// add (tables, columns, indexes, rows); nothing old is dropped, renamed or narrowed.
func Migrate(ctx context.Context, db *gorm.DB) error {
	provider, err := newMigrationProvider(db)
	if err != nil {
		return err
	}
	if !upToDate(ctx, db, provider) {
		if _, err := provider.Up(ctx); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
	}
	// Not a versioned step: the unique LOWER(email) index waits for case-variant
	// duplicates to be resolved by hand, and is built on the first start after.
	return ensureEmailIndex(ctx, db.WithContext(ctx))
}

func newMigrationProvider(db *gorm.DB) (*goose.Provider, error) {
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	name := db.Dialector.Name()
	var dialect goose.Dialect
	var opts []goose.ProviderOption
	switch name {
	case "postgres":
		dialect = goose.DialectPostgres
		// A waiting instance probes every second, for up to ten minutes.
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(migrationLockID), lock.WithLockTimeout(1, 600))
		if err != nil {
			return nil, fmt.Errorf("migrate: lock: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	case "sqlite":
		dialect = goose.DialectSQLite3
	default:
		return nil, fmt.Errorf("migrate: unsupported database %q", name)
	}
	files, err := fs.Sub(migrationFiles, "migrations/"+name)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	opts = append(opts, goose.WithGoMigrations(
		goose.NewGoMigration(baselineVersion, &goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
			return baseline(ctx, tx, name)
		}}, nil),
	))
	provider, err := goose.NewProvider(dialect, sqlDB, files, opts...)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	return provider, nil
}

// SchemaVersion is the newest migration applied to db (0: none).
func SchemaVersion(ctx context.Context, db *gorm.DB) (int64, error) {
	provider, err := newMigrationProvider(db)
	if err != nil {
		return 0, err
	}
	v, err := provider.GetDBVersion(ctx)
	if err != nil {
		return 0, fmt.Errorf("schema version: %w", err)
	}
	return v, nil
}

// upToDate tells, without taking the advisory lock, whether the newest migration
// is already recorded: the usual restart then never touches the lock. (Through
// the Supabase transaction pooler a session lock may not hold; see README
// "Database migrations".) Any doubt (no version table yet) answers false.
func upToDate(ctx context.Context, db *gorm.DB, provider *goose.Provider) bool {
	var latest int64
	for _, src := range provider.ListSources() {
		latest = max(latest, src.Version)
	}
	if !db.WithContext(ctx).Migrator().HasTable("goose_db_version") {
		return false
	}
	var applied sql.NullInt64
	err := db.WithContext(ctx).Raw("SELECT MAX(version_id) FROM goose_db_version WHERE is_applied").Scan(&applied).Error
	return err == nil && applied.Valid && applied.Int64 >= latest
}
