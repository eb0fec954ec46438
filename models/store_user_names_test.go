package models_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/izpochat/server/internal/testdb"
	"github.com/izpochat/server/models"
)

func TestUserNameByID(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		store := models.NewStore(db)
		full := "Ann O'Neil"
		ann := createUser(t, store, "ann", &full)
		bob := createUser(t, store, "bob", nil)
		for range 2 { // the second time through the prepared statement (SQLite)
			got, err := store.UserNameByID(ctx, ann.ID)
			if err != nil || got.ID != ann.ID || got.Username != "ann" || got.FullName == nil || *got.FullName != full {
				t.Fatalf("ann: %+v, %v", got, err)
			}
			got, err = store.UserNameByID(ctx, bob.ID)
			if err != nil || got.ID != bob.ID || got.Username != "bob" || got.FullName != nil {
				t.Fatalf("bob (no full name): %+v, %v", got, err)
			}
		}
		for _, id := range []int64{bob.ID + 100, 0, -1, models.MaxID + 1} {
			if got, err := store.UserNameByID(ctx, id); !errors.Is(err, models.ErrNotFound) {
				t.Fatalf("user %d: %+v, %v; want ErrNotFound", id, got, err)
			}
		}
	})
}

// createUser stores a user named name (fullName may be nil).
func createUser(t *testing.T, store *models.Store, name string, fullName *string) *models.User {
	t.Helper()
	u := &models.User{Username: name, Email: name + "@example.com", PasswordHash: "x", FullName: fullName, CreatedAt: time.Now().UTC()}
	if err := store.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return u
}
