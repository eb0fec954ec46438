package models_test

import (
	"context"
	"testing"

	"gorm.io/gorm"

	"github.com/izpochat/server/internal/testdb"
	"github.com/izpochat/server/models"
)

// Every column the GORM models in tables.go read or write exists on a freshly
// migrated database: a field added to a model needs its numbered migration.
func TestMigrationsCoverTheModels(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		for _, model := range models.All() {
			stmt := &gorm.Statement{DB: db}
			if err := stmt.Parse(model); err != nil {
				t.Fatal(err)
			}
			if !db.Migrator().HasTable(model) {
				t.Fatalf("table %s has no migration", stmt.Schema.Table)
			}
			for _, f := range stmt.Schema.Fields {
				if f.DBName != "" && !db.Migrator().HasColumn(model, f.DBName) {
					t.Fatalf("column %s.%s (%T.%s) has no migration: add one in models/migrations", stmt.Schema.Table, f.DBName, model, f.Name)
				}
			}
		}
	})
}

// A database this server created before versioned migrations (GORM created the
// tables from the models, then the LOWER(email) index) is taken over as it is,
// with its rows, and its conversations stay conversations.
func TestMigrateTakesOverThisServersOldSchema(t *testing.T) {
	for _, driver := range testdb.Drivers() {
		t.Run(driver, func(t *testing.T) {
			ctx := context.Background()
			db := testdb.OpenEmpty(t, testdb.Config(t, driver))
			for _, model := range models.All() {
				if err := db.Migrator().CreateTable(model); err != nil {
					t.Fatal(err)
				}
			}
			if err := db.Exec("CREATE UNIQUE INDEX users_email_lower_key ON users (LOWER(email))").Error; err != nil {
				t.Fatal(err)
			}
			store := models.NewStore(db)
			a := &models.User{Username: "a", Email: "a@example.com", PasswordHash: "x"}
			b := &models.User{Username: "b", Email: "b@example.com", PasswordHash: "x"}
			for _, u := range []*models.User{a, b} {
				if err := store.CreateUser(ctx, u); err != nil {
					t.Fatal(err)
				}
			}
			// A private room of two that is not a conversation must not become one.
			room := &models.Room{Name: "two of us", IsPrivate: true, CreatedBy: a.ID}
			if err := store.CreateRoom(ctx, room, a.ID, b.ID); err != nil {
				t.Fatal(err)
			}
			// Columns added by versioned migrations since (00003) were not there yet.
			for _, c := range []struct {
				model  any
				column string
			}{
				{&models.RoomMember{}, "role"}, {&models.Message{}, "edited_at"},
				{&models.Message{}, "deleted_at"}, {&models.Message{}, "reply_to_id"},
			} {
				if err := db.Migrator().DropColumn(c.model, c.column); err != nil {
					t.Fatalf("drop %s: %v", c.column, err)
				}
			}
			// Nor the read-state table (00005).
			if err := db.Migrator().DropTable(&models.RoomRead{}); err != nil {
				t.Fatalf("drop room_reads: %v", err)
			}
			if err := models.Migrate(ctx, db); err != nil {
				t.Fatalf("migrate this server's old schema: %v", err)
			}
			got, err := store.RoomByID(ctx, room.ID)
			if err != nil || got.DMKey != nil || got.CreatedBy != a.ID {
				t.Fatalf("old room after the migration = %+v, %v", got, err)
			}
			if v, err := models.SchemaVersion(ctx, db); err != nil || v < 2 {
				t.Fatalf("schema version = %d, %v", v, err)
			}
		})
	}
}
