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

// RoomsActivity gives each room with messages its newest message's time (by
// id), also for rows the Flask app wrote with its own time text; a room without
// messages has none.
func TestRoomsActivity(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		store := models.NewStore(db)
		ann := createUser(t, store, "ann", nil)
		busy := &models.Room{Name: "busy", CreatedBy: ann.ID, CreatedAt: time.Now().UTC()}
		quiet := &models.Room{Name: "quiet", CreatedBy: ann.ID, CreatedAt: time.Now().UTC()}
		for _, r := range []*models.Room{busy, quiet} {
			if err := store.CreateRoom(ctx, r, ann.ID); err != nil {
				t.Fatal(err)
			}
		}
		newest := time.Date(2026, 3, 4, 5, 6, 7, 123456000, time.UTC)
		for _, at := range []time.Time{newest.Add(-time.Hour), newest} {
			if err := store.InsertMessage(ctx, &models.Message{Content: "x", UserID: ann.ID, RoomID: busy.ID, CreatedAt: at}); err != nil {
				t.Fatal(err)
			}
		}
		got, err := store.RoomsActivity(ctx, []int64{busy.ID, quiet.ID, 999999})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || !got[busy.ID].Equal(newest) {
			t.Fatalf("activity = %v, want only room %d at %v", got, busy.ID, newest)
		}
		// As Flask-SQLAlchemy wrote it on SQLite: "YYYY-MM-DD HH:MM:SS.ffffff".
		if db.Dialector.Name() == "sqlite" {
			if err := db.Exec(`INSERT INTO messages (content, user_id, room_id, created_at) VALUES ('old', ?, ?, '2027-01-02 03:04:05.654321')`,
				ann.ID, quiet.ID).Error; err != nil {
				t.Fatal(err)
			}
			got, err = store.RoomsActivity(ctx, []int64{quiet.ID})
			if want := time.Date(2027, 1, 2, 3, 4, 5, 654321000, time.UTC); err != nil || !got[quiet.ID].Equal(want) {
				t.Fatalf("Flask-written time: %v, %v; want %v", got, err, want)
			}
		}
		if got, err := store.RoomsActivity(ctx, nil); err != nil || len(got) != 0 {
			t.Fatalf("no rooms: %v, %v", got, err)
		}
	})
}

// The file lookups behind history's file{}, the download by stored name and
// the caller's files in one room.
func TestFileLookupsForOldClients(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		store := models.NewStore(db)
		ann, bob := createUser(t, store, "ann", nil), createUser(t, store, "bob", nil)
		room := &models.Room{Name: "r", CreatedBy: ann.ID, CreatedAt: time.Now().UTC()}
		if err := store.CreateRoom(ctx, room, ann.ID); err != nil {
			t.Fatal(err)
		}
		file := func(key string, owner int64, r *int64, at time.Time) *models.FileUpload {
			return &models.FileUpload{Filename: key, OriginalFilename: key, FileSize: 1, FileURL: "/uploads/" + key, UserID: owner, RoomID: r, CreatedAt: at}
		}
		now := time.Now().UTC()
		files := []*models.FileUpload{file("a", ann.ID, &room.ID, now.Add(-time.Minute)), file("b", ann.ID, &room.ID, now),
			file("c", ann.ID, nil, now), file("d", bob.ID, &room.ID, now)}
		if err := store.InsertFiles(ctx, files); err != nil {
			t.Fatal(err)
		}
		keysOf := func(rows []models.FileUpload) []string {
			var out []string
			for _, r := range rows {
				out = append(out, r.Filename)
			}
			slices.Sort(out)
			return out
		}
		rows, err := store.FilesByIDsOrNames(ctx, []int64{files[0].ID}, []string{"c", "nope"})
		if err != nil || !slices.Equal(keysOf(rows), []string{"a", "c"}) {
			t.Fatalf("by ids or names: %v, %v", keysOf(rows), err)
		}
		if rows, err := store.FilesByIDsOrNames(ctx, nil, nil); err != nil || len(rows) != 0 {
			t.Fatalf("nothing asked: %v, %v", rows, err)
		}
		if f, err := store.FileByFilename(ctx, "b"); err != nil || f.ID != files[1].ID {
			t.Fatalf("by filename: %+v, %v", f, err)
		}
		if _, err := store.FileByFilename(ctx, "nope"); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("missing filename: %v", err)
		}
		rows, err = store.FilesOfUserInRoom(ctx, ann.ID, room.ID, 0, 10)
		if err != nil || len(rows) != 2 || rows[0].Filename != "b" || rows[1].Filename != "a" {
			t.Fatalf("ann's files in the room, newest first: %v, %v", keysOf(rows), err)
		}
		if rows, err := store.FilesOfUserInRoom(ctx, ann.ID, room.ID, 1, 10); err != nil || len(rows) != 1 || rows[0].Filename != "a" {
			t.Fatalf("skipped: %v, %v", rows, err)
		}
	})
}
