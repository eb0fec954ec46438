package models

import (
	"context"
	"fmt"

	"gorm.io/gorm"
)

// Migrate brings the schema up to date without ever dropping, renaming or altering
// anything: missing tables are created, missing columns added, missing indexes built.
// GORM's AutoMigrate would also ALTER columns whose type differs from the model (the
// Flask database has INTEGER ids and TIMESTAMP columns), which a takeover must not do.
func Migrate(ctx context.Context, db *gorm.DB) error {
	db = db.WithContext(ctx)
	m := db.Migrator()
	for _, model := range All() {
		if !m.HasTable(model) {
			if err := m.CreateTable(model); err != nil {
				return fmt.Errorf("migrate: create table for %T: %w", model, err)
			}
			continue
		}
		stmt := &gorm.Statement{DB: db}
		if err := stmt.Parse(model); err != nil {
			return fmt.Errorf("migrate: parse %T: %w", model, err)
		}
		for _, field := range stmt.Schema.Fields {
			if field.DBName == "" || m.HasColumn(model, field.DBName) {
				continue
			}
			if err := m.AddColumn(model, field.DBName); err != nil {
				return fmt.Errorf("migrate: add column %s.%s: %w", stmt.Schema.Table, field.DBName, err)
			}
		}
		for _, idx := range stmt.Schema.ParseIndexes() {
			if m.HasIndex(model, idx.Name) {
				continue
			}
			if err := m.CreateIndex(model, idx.Name); err != nil {
				return fmt.Errorf("migrate: create index %s: %w", idx.Name, err)
			}
		}
	}
	return ensureEmailIndex(ctx, db)
}
