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

// Every row of a history page carries its own sender's names and the room,
// whichever way the store reads them (on SQLite the names come from a second
// query over the page's senders).
func TestHistoryRowsCarryTheirSendersNames(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		store := models.NewStore(db)
		annFull := "Ann O'Neil"
		ann, bob, cyd := createUser(t, store, "ann", &annFull), createUser(t, store, "bob", nil), createUser(t, store, "cyd", nil)
		room := &models.Room{Name: "mixed", CreatedBy: ann.ID, CreatedAt: time.Now().UTC()}
		if err := store.CreateRoom(ctx, room, ann.ID, bob.ID, cyd.ID); err != nil {
			t.Fatal(err)
		}
		senders := []*models.User{ann, bob, ann, cyd, bob, ann}
		msgs := make([]*models.Message, len(senders))
		for i, u := range senders {
			msgs[i] = &models.Message{Content: fmt.Sprintf("m%d", i), UserID: u.ID, RoomID: room.ID, CreatedAt: time.Now().UTC()}
		}
		if err := store.InsertMessages(ctx, msgs); err != nil {
			t.Fatal(err)
		}

		rows, err := store.History(ctx, room.ID, models.HistoryQuery{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != len(senders) {
			t.Fatalf("%d rows, want %d", len(rows), len(senders))
		}
		for i, r := range rows {
			u := senders[i]
			if r.Content != fmt.Sprintf("m%d", i) || r.UserID != u.ID || r.RoomID != room.ID || r.Username != u.Username {
				t.Fatalf("row %d = %+v, want sender %s in room %d", i, r, u.Username, room.ID)
			}
			if (u.FullName == nil) != (r.SenderFullName == nil) || (u.FullName != nil && *r.SenderFullName != *u.FullName) {
				t.Fatalf("row %d full name = %v, want %v", i, r.SenderFullName, u.FullName)
			}
		}

		// A page holding one sender only, and an empty page.
		rows, err = store.History(ctx, room.ID, models.HistoryQuery{Limit: 1})
		if err != nil || len(rows) != 1 || rows[0].Username != "ann" || rows[0].SenderFullName == nil {
			t.Fatalf("last message = %+v, %v", rows, err)
		}
		rows, err = store.History(ctx, room.ID, models.HistoryQuery{Limit: 10, AfterID: msgs[len(msgs)-1].ID})
		if err != nil || len(rows) != 0 {
			t.Fatalf("after the last message = %+v, %v", rows, err)
		}
		// Forward from id 0: the first two, oldest first (not the newest two).
		rows, err = store.History(ctx, room.ID, models.HistoryQuery{Limit: 2, Forward: true})
		if err != nil || len(rows) != 2 || rows[0].ID != msgs[0].ID || rows[1].ID != msgs[1].ID {
			t.Fatalf("forward from 0 = %+v, %v; want ids %d, %d", rows, err, msgs[0].ID, msgs[1].ID)
		}
	})
}
