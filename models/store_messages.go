package models

import (
	"context"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// MessageRow is a message with its sender's public fields, read in one query.
type MessageRow struct {
	Message
	Username       string
	SenderFullName *string
}

// HistoryQuery selects a window of a room's messages. Zero values mean "not set";
// Forward reads forward from AfterID, 0 included (the room's first messages).
type HistoryQuery struct {
	Limit    int
	BeforeID int64
	AfterID  int64
	Skip     int
	Forward  bool
	// IncludeDeleted also returns deleted messages (blanked); otherwise they
	// are left out.
	IncludeDeleted bool
}

// InsertMessage stores m and fills its id.
func (s *Store) InsertMessage(ctx context.Context, m *Message) error {
	return translate(s.with(ctx).Omit(clause.Associations).Create(m).Error, "insert message")
}

// History returns messages of roomID, oldest first. With Forward (or AfterID > 0)
// it reads forward from the cursor AfterID; otherwise it reads the newest Limit (before BeforeID when set,
// skipping Skip from the newest end). Every form walks the (room_id, id) index.
func (s *Store) History(ctx context.Context, roomID int64, q HistoryQuery) ([]MessageRow, error) {
	// Cursors beyond the largest possible id: nothing comes after, everything before.
	if q.AfterID >= MaxID {
		return nil, nil
	}
	if q.BeforeID > MaxID {
		q.BeforeID = 0
	}
	// The join keeps only messages whose sender exists, on both databases.
	namesJoined := s.Dialect() != "sqlite"
	db := s.with(ctx).Table("messages").
		Select(historyColumns(s.Dialect(), namesJoined)).
		Joins("JOIN users ON users.id = messages.user_id").
		Where("messages.room_id = ?", roomID)
	if !q.IncludeDeleted {
		db = db.Where("messages.deleted_at IS NULL")
	}
	if q.BeforeID > 0 {
		db = db.Where("messages.id < ?", q.BeforeID)
	}
	forward := q.Forward || q.AfterID > 0
	if forward {
		db = db.Where("messages.id > ?", q.AfterID).Order("messages.id ASC")
	} else {
		db = db.Order("messages.id DESC")
	}
	if q.Skip > 0 {
		db = db.Offset(q.Skip)
	}
	rows, err := scanHistory(db.Limit(q.Limit), q.Limit, roomID, namesJoined)
	if err != nil {
		return nil, translate(err, "history")
	}
	if !namesJoined {
		if err := s.fillSenderNames(ctx, rows); err != nil {
			return nil, translate(err, "history")
		}
	}
	if !forward {
		for i, j := 0, len(rows)-1; i < j; i, j = i+1, j-1 {
			rows[i], rows[j] = rows[j], rows[i]
		}
	}
	return rows, nil
}

// historyColumns is what History reads, in the order scanHistory scans it. On
// SQLite created_at comes as text, parsed by scanHistory (sqlite_time.go), and
// the senders' names are read apart (namesJoined false): the embedded driver's
// cost is per column of every row (three locked calls for a text column), so a
// page of 100 messages read its senders' names 100 times where a second query
// reads each sender once: a fifth more history reads per second of CPU
// (800–856 → 953–1,025 req/s of `SERVERS=go SCENARIOS=history bench/run.sh`).
// PostgreSQL keeps them in the one query: a second one would be a second
// network round trip. The room id is the caller's.
func historyColumns(dialect string, namesJoined bool) string {
	createdAt := "messages.created_at"
	if dialect == "sqlite" {
		createdAt = sqliteCreatedAt
	}
	cols := "messages.id, messages.content, messages.user_id, messages.file_url, messages.file_id, " + createdAt +
		", " + editColumns(dialect)
	if namesJoined {
		cols += ", users.username, users.full_name"
	}
	return cols
}

// scanHistory runs a History query and scans its rows field by field: GORM's
// reflective scan into structs cost a third of a history request's CPU.
func scanHistory(db *gorm.DB, limit int, roomID int64, namesJoined bool) ([]MessageRow, error) {
	rs, err := db.Rows()
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	rows := make([]MessageRow, 0, min(max(limit, 0), 1000))
	var r MessageRow // scanned into, then copied
	dest := []any{&r.ID, &r.Content, &r.UserID, &r.FileURL, &r.FileID, timeScanner{&r.CreatedAt},
		nullTimeScanner{&r.EditedAt}, nullTimeScanner{&r.DeletedAt}, &r.ReplyToID}
	if namesJoined {
		dest = append(dest, &r.Username, &r.SenderFullName)
	}
	for rs.Next() {
		r = MessageRow{}
		if err := rs.Scan(dest...); err != nil {
			return nil, err
		}
		r.RoomID = roomID
		rows = append(rows, r)
	}
	return rows, rs.Err()
}

// LastMessages returns the newest message of each room in roomIDs, by room id.
func (s *Store) LastMessages(ctx context.Context, roomIDs []int64) (map[int64]Message, error) {
	out := make(map[int64]Message, len(roomIDs))
	if len(roomIDs) == 0 {
		return out, nil
	}
	var msgs []Message
	// A deleted message is never a conversation's last: its text is gone.
	err := s.with(ctx).Where("id IN (?)",
		s.db.Model(&Message{}).Select("MAX(id)").Where("room_id IN ? AND deleted_at IS NULL", roomIDs).Group("room_id")).
		Find(&msgs).Error
	if err != nil {
		return nil, translate(err, "last messages")
	}
	for _, m := range msgs {
		out[m.RoomID] = m
	}
	return out, nil
}

// DMRoomsOf lists the one-to-one rooms userID belongs to.
func (s *Store) DMRoomsOf(ctx context.Context, userID int64) ([]Room, error) {
	var rooms []Room
	err := s.with(ctx).Preload("Creator").
		Where("dm_key IS NOT NULL AND id IN (?)", s.db.Model(&RoomMember{}).Select("room_id").Where("user_id = ?", userID)).
		Find(&rooms).Error
	return rooms, translate(err, "conversations")
}
