package main

import (
	"context"
	"log/slog"

	"github.com/izpochat/server/config"
	"github.com/izpochat/server/models"
)

// migrateAndExit runs the database migrations and returns: `izpochat migrate`
// (or -migrate-only), for a pre-deploy step. The server runs the same migrations
// when it starts, so this is never required, only earlier.
func migrateAndExit(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	log.Info("migrating the database", "version", cfg.Version, "driver", cfg.Database.Driver)
	db, err := models.Open(ctx, cfg.Database, log)
	if err != nil {
		return err
	}
	defer func() { _ = models.Close(db) }()
	if err := models.Migrate(ctx, db); err != nil {
		return err
	}
	version, err := models.SchemaVersion(ctx, db)
	if err != nil {
		return err
	}
	log.Info("database migrated", "schema_version", version)
	return nil
}
