package models

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/izpochat/server/config"
)

// Open connects to the configured database, sizes the pool and checks the connection.
func Open(ctx context.Context, cfg config.Database, log *slog.Logger) (*gorm.DB, error) {
	var dialector gorm.Dialector
	switch cfg.Driver {
	case "sqlite":
		keepSQLiteMemoryMapped()
		dialector = sqlite.Open(cfg.DSN)
	case "postgres":
		// The Supabase transaction pooler (pgbouncer) cannot keep prepared statements
		// between transactions: the simple protocol sends every query as text.
		dialector = postgres.New(postgres.Config{DSN: cfg.DSN, PreferSimpleProtocol: cfg.SimpleProtocol})
	default:
		return nil, fmt.Errorf("open database: unknown driver %q", cfg.Driver)
	}
	db, err := gorm.Open(dialector, &gorm.Config{
		// SQLite parses every statement anew unless it is prepared; pgx already caches
		// statements itself, and the Supabase pooler cannot keep them.
		PrepareStmt:    cfg.Driver == "sqlite",
		TranslateError: true,
		Logger:         newGormLogger(log),
		NowFunc:        func() time.Time { return time.Now().UTC() },
	})
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", cfg.Driver, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", cfg.Driver, err)
	}
	if cfg.MaxOpenConns > 0 {
		sqlDB.SetMaxOpenConns(cfg.MaxOpenConns)
	}
	if cfg.MaxIdleConns > 0 {
		sqlDB.SetMaxIdleConns(cfg.MaxIdleConns)
	}
	if cfg.ConnMaxLifetime > 0 {
		sqlDB.SetConnMaxLifetime(cfg.ConnMaxLifetime)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := sqlDB.PingContext(pingCtx); err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("connect to %s database: %w", cfg.Driver, err)
	}
	return db, nil
}

// Close closes the pool behind db.
func Close(db *gorm.DB) error {
	sqlDB, err := db.DB()
	if err != nil {
		return fmt.Errorf("close database: %w", err)
	}
	return sqlDB.Close()
}

// Ping checks the database within ctx (used by /health).
func Ping(ctx context.Context, db *gorm.DB) error {
	sqlDB, err := db.DB()
	if err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return sqlDB.PingContext(ctx)
}

// newGormLogger routes GORM's own logs to slog: errors and slow queries only,
// never the SQL of ordinary queries (it may carry user data).
func newGormLogger(log *slog.Logger) logger.Interface {
	return &gormLogger{log: log, slow: 500 * time.Millisecond}
}
