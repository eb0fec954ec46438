package models_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/izpochat/server/internal/testdb"
	"github.com/izpochat/server/models"
)

// DeleteRoom deletes the room's file rows with it (not detaches them), returns
// their keys and records them as pending deletions in the same transaction;
// another room's file and a file of no room stay. A missing room is not found.
func TestDeleteRoomDeletesItsFileRows(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		store := models.NewStore(db)
		ann := createUser(t, store, "ann", nil)
		doomed := &models.Room{Name: "doomed", CreatedBy: ann.ID, CreatedAt: time.Now().UTC()}
		kept := &models.Room{Name: "kept", CreatedBy: ann.ID, CreatedAt: time.Now().UTC()}
		for _, r := range []*models.Room{doomed, kept} {
			if err := store.CreateRoom(ctx, r, ann.ID); err != nil {
				t.Fatal(err)
			}
		}
		file := func(key string, room *int64) *models.FileUpload {
			return &models.FileUpload{Filename: key, OriginalFilename: key, FileSize: 1, FileURL: "/uploads/" + key, UserID: ann.ID, RoomID: room, CreatedAt: time.Now().UTC()}
		}
		files := []*models.FileUpload{file("a", &doomed.ID), file("b", &doomed.ID), file("c", &kept.ID), file("d", nil)}
		if err := store.InsertFiles(ctx, files); err != nil {
			t.Fatal(err)
		}
		msg := &models.Message{Content: "", UserID: ann.ID, RoomID: doomed.ID, FileID: &files[0].ID, FileURL: &files[0].FileURL, CreatedAt: time.Now().UTC()}
		if err := store.InsertMessage(ctx, msg); err != nil {
			t.Fatal(err)
		}

		keys, err := store.DeleteRoom(ctx, doomed.ID)
		if err != nil || !slices.Equal(keys, []string{"a", "b"}) {
			t.Fatalf("DeleteRoom = %v, %v; want [a b]", keys, err)
		}
		var left []string
		if err := db.Model(&models.FileUpload{}).Order("filename").Pluck("filename", &left).Error; err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(left, []string{"c", "d"}) {
			t.Fatalf("file rows left = %v, want [c d]", left)
		}
		for key, want := range map[string]bool{"a": true, "b": true, "c": false, "d": false} {
			if got, err := store.FileDeletionPending(ctx, key); err != nil || got != want {
				t.Fatalf("FileDeletionPending(%s) = %v, %v; want %v", key, got, err, want)
			}
		}
		if pending, err := store.PendingFileDeletions(ctx, 10); err != nil || len(pending) != 2 {
			t.Fatalf("PendingFileDeletions = %v, %v", pending, err)
		}
		if err := store.ForgetFileDeletions(ctx, []string{"a", "b"}); err != nil {
			t.Fatal(err)
		}
		if pending, err := store.PendingFileDeletions(ctx, 10); err != nil || len(pending) != 0 {
			t.Fatalf("after ForgetFileDeletions: %v, %v", pending, err)
		}

		// The room is gone: deleting it again is not found.
		keys, err = store.DeleteRoom(ctx, doomed.ID)
		if !errors.Is(err, models.ErrNotFound) || keys != nil {
			t.Fatalf("second DeleteRoom = %v, %v; want ErrNotFound", keys, err)
		}
	})
}
