package models_test

import (
	"context"
	"testing"
	"time"

	"github.com/izpochat/server/config"
	"github.com/izpochat/server/internal/testdb"
	"github.com/izpochat/server/models"
)

// History parses SQLite's created_at text itself: every form the driver
// reads (its own, Flask-SQLAlchemy's, ISO 8601 with Z or an offset, shorter
// ones) comes out as the same instant as the driver's parse of the column.
func TestHistoryReadsSQLiteTimesAsTheDriverDoes(t *testing.T) {
	db := testdb.Open(t, config.DriverSQLite)
	store := models.NewStore(db)
	userID, roomID := seedRoom(t, store)
	texts := []string{
		"2026-11-29 03:56:39.60477+00:00",     // what this driver writes
		"2026-11-29 03:56:39+00:00",           // ... with no fraction
		"2026-11-29 03:56:39.123456789-07:30", // ... another offset
		"2026-11-29 03:56:39.604770",          // Flask-SQLAlchemy
		"2026-11-29 03:56:39",
		"2026-11-29T03:56:39Z",
		"2026-11-29T03:56:39.5Z",
		"2026-02-28T23:59:59.999+14:00",
		"2024-02-29 00:00:00",
		"2026-11-29 03:56",
		"2026-11-29",
		"2026-11-29 03:56:39.60477 +0000 UTC m=+0.000000001", // Time.String
	}
	for _, text := range texts {
		if err := db.Exec("INSERT INTO messages (content, user_id, room_id, created_at) VALUES (?, ?, ?, ?)",
			text, userID, roomID, text).Error; err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]time.Time{}
	rows, err := db.Raw("SELECT content, created_at FROM messages").Rows() // the driver parses the DATETIME column
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var text string
		var at time.Time
		if err := rows.Scan(&text, &at); err != nil {
			t.Fatalf("driver: %v", err)
		}
		want[text] = at
	}
	rows.Close()
	got, err := store.History(context.Background(), roomID, models.HistoryQuery{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(texts) {
		t.Fatalf("history has %d messages, want %d", len(got), len(texts))
	}
	for _, m := range got {
		if w, ok := want[m.Content]; !ok || !m.CreatedAt.Equal(w) {
			t.Errorf("%q: history read %v, the driver %v", m.Content, m.CreatedAt, w)
		}
	}
}

// A created_at that is no time fails the page with an error, as before.
func TestHistoryRejectsAnUnreadableSQLiteTime(t *testing.T) {
	db := testdb.Open(t, config.DriverSQLite)
	store := models.NewStore(db)
	userID, roomID := seedRoom(t, store)
	if err := db.Exec("INSERT INTO messages (content, user_id, room_id, created_at) VALUES ('x', ?, ?, 'yesterday')",
		userID, roomID).Error; err != nil {
		t.Fatal(err)
	}
	if _, err := store.History(context.Background(), roomID, models.HistoryQuery{Limit: 10}); err == nil {
		t.Fatal("history of a message created 'yesterday': no error")
	}
}
