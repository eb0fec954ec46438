package testdb

import (
	"testing"

	"gorm.io/gorm"

	"github.com/izpochat/server/models"
)

func TestEachDatabaseIsFreshAndMigrated(t *testing.T) {
	Each(t, func(t *testing.T, db *gorm.DB) {
		var n int64
		if err := db.Model(&models.User{}).Count(&n).Error; err != nil {
			t.Fatalf("count users: %v", err)
		}
		if n != 0 {
			t.Fatalf("fresh database has %d users", n)
		}
		if !db.Migrator().HasIndex(&models.Message{}, "messages_room_id_id_idx") {
			t.Fatal("messages(room_id, id) index missing")
		}
	})
}
