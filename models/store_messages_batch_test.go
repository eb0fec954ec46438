package models_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/izpochat/server/internal/testdb"
	"github.com/izpochat/server/models"
)

// seedRoom makes a user and a room to post messages in.
func seedRoom(t testing.TB, store *models.Store) (userID, roomID int64) {
	t.Helper()
	ctx := context.Background()
	u := &models.User{Username: "poster", Email: "poster@example.com", PasswordHash: "x", CreatedAt: time.Now().UTC()}
	if err := store.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	r := &models.Room{Name: "room", CreatedBy: u.ID, CreatedAt: time.Now().UTC()}
	if err := store.CreateRoom(ctx, r, u.ID); err != nil {
		t.Fatal(err)
	}
	return u.ID, r.ID
}

func newMessages(n int, userID, roomID int64, tag string) []*models.Message {
	msgs := make([]*models.Message, n)
	url := "/files/x"
	for i := range msgs {
		msgs[i] = &models.Message{Content: fmt.Sprintf("%s %d", tag, i), UserID: userID, RoomID: roomID, CreatedAt: time.Now().UTC()}
		if i%3 == 0 {
			msgs[i].FileURL = &url
		}
	}
	return msgs
}

// Every batch size fills ids in the order of the slice, and the rows read back
// under those ids are the messages given.
func TestInsertMessagesFillsIDsInOrder(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		store := models.NewStore(db)
		ctx := context.Background()
		userID, roomID := seedRoom(t, store)
		var last int64
		for _, n := range []int{1, 2, 7, 256, 1100} {
			msgs := newMessages(n, userID, roomID, fmt.Sprintf("batch%d", n))
			if err := store.InsertMessages(ctx, msgs); err != nil {
				t.Fatalf("batch of %d: %v", n, err)
			}
			for i, m := range msgs {
				if m.ID <= last {
					t.Fatalf("batch of %d: message %d has id %d after %d", n, i, m.ID, last)
				}
				last = m.ID
			}
			for _, i := range []int{0, n / 2, n - 1} {
				var got models.Message
				if err := db.Where("id = ?", msgs[i].ID).Take(&got).Error; err != nil {
					t.Fatal(err)
				}
				if got.Content != msgs[i].Content || (got.FileURL == nil) != (msgs[i].FileURL == nil) {
					t.Fatalf("batch of %d: row %d reads %q, want %q", n, msgs[i].ID, got.Content, msgs[i].Content)
				}
			}
		}
		if err := store.InsertMessages(ctx, nil); err != nil {
			t.Fatalf("empty batch: %v", err)
		}
	})
}

// A message naming a missing room fails the whole batch (foreign key), and no id
// is reported for it.
func TestInsertMessagesRejectsBadRow(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		store := models.NewStore(db)
		userID, roomID := seedRoom(t, store)
		msgs := newMessages(3, userID, roomID, "bad")
		msgs[1].RoomID = 999999
		if err := store.InsertMessages(context.Background(), msgs); err == nil {
			if db.Dialector.Name() == "sqlite" {
				t.Skip("this SQLite build does not enforce foreign keys")
			}
			t.Fatal("a message of a missing room was stored")
		}
	})
}
