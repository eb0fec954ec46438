package models

import (
	"context"
	"fmt"
	"time"
)

// RoomRead is a row of room_reads (issue 23.5, migration 00005): the newest
// message id userID has marked read in roomID. Only ever moved forward.
type RoomRead struct {
	RoomID     int64     `gorm:"primaryKey;autoIncrement:false"`
	UserID     int64     `gorm:"primaryKey;autoIncrement:false;index:room_reads_user_idx"`
	LastReadID int64     `gorm:"column:last_read_id;not null"`
	UpdatedAt  time.Time `gorm:"column:updated_at;not null;autoUpdateTime:false"`

	User *User `gorm:"foreignKey:UserID;constraint:OnDelete:CASCADE"`
	Room *Room `gorm:"foreignKey:RoomID;constraint:OnDelete:CASCADE"`
}

func (RoomRead) TableName() string { return "room_reads" }

// MessageRoom is the room of message id (ErrNotFound when there is none),
// deleted or not.
func (s *Store) MessageRoom(ctx context.Context, id int64) (int64, error) {
	if !validID(id) {
		return 0, fmt.Errorf("message room: %w", ErrNotFound)
	}
	var roomIDs []int64
	if err := s.with(ctx).Model(&Message{}).Where("id = ?", id).Limit(1).Pluck("room_id", &roomIDs).Error; err != nil {
		return 0, translate(err, "message room")
	}
	if len(roomIDs) == 0 {
		return 0, fmt.Errorf("message room: %w", ErrNotFound)
	}
	return roomIDs[0], nil
}

// MarkRead moves userID's marker in roomID to messageID, in one statement, if
// that is forward: moved is false when the marker was there or further already.
// Two simultaneous marks end at the larger id whatever their order.
func (s *Store) MarkRead(ctx context.Context, roomID, userID, messageID int64, at time.Time) (moved bool, err error) {
	res := s.with(ctx).Exec(`INSERT INTO room_reads (room_id, user_id, last_read_id, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (room_id, user_id) DO UPDATE SET last_read_id = excluded.last_read_id, updated_at = excluded.updated_at
		WHERE room_reads.last_read_id < excluded.last_read_id`, roomID, userID, messageID, at.UTC())
	if res.Error != nil {
		return false, translate(res.Error, "mark read")
	}
	return res.RowsAffected > 0, nil
}

// ReadMarker is one reader's marker in a room.
type ReadMarker struct {
	UserID     int64
	LastReadID int64
}

// ReadMarkers lists up to limit markers of roomID, furthest first. onlyMembers
// keeps those of its current members (a private room: someone removed is no
// longer one of its readers).
func (s *Store) ReadMarkers(ctx context.Context, roomID int64, onlyMembers bool, limit int) ([]ReadMarker, error) {
	var out []ReadMarker
	q := s.with(ctx).Table("room_reads").Select("room_reads.user_id, room_reads.last_read_id").
		Where("room_reads.room_id = ?", roomID)
	if onlyMembers {
		q = q.Joins("JOIN room_members ON room_members.room_id = room_reads.room_id AND room_members.user_id = room_reads.user_id")
	}
	err := q.Order("room_reads.last_read_id DESC, room_reads.user_id").Limit(limit).Scan(&out).Error
	return out, translate(err, "read markers")
}

// ReadState is what one user has read of one room.
type ReadState struct {
	LastReadID *int64 // nil: never marked
	// Unread counts others' live messages after the marker (all of them when
	// there is none), up to the cap UnreadStates was given.
	Unread int
}

// UnreadStates reads userID's marker and unread count in every room of
// roomIDs, in one statement. Each count stops at limit: it reads at most limit
// entries of the messages_room_live_idx index after the marker (plus the
// user's own messages there, which it skips), so a room with a million unread
// messages costs what one with limit costs.
func (s *Store) UnreadStates(ctx context.Context, userID int64, roomIDs []int64, limit int) (map[int64]ReadState, error) {
	out := make(map[int64]ReadState, len(roomIDs))
	if len(roomIDs) == 0 {
		return out, nil
	}
	// SQLite's planner takes the (room_id, id) index, which is not covering
	// (each entry then costs a table lookup): told to use the one that is.
	hint := ""
	if s.Dialect() == "sqlite" {
		hint = " INDEXED BY messages_room_live_idx"
	}
	rows, err := s.with(ctx).Raw(`SELECT r.id, rr.last_read_id,
		(SELECT COUNT(*) FROM (SELECT 1 FROM messages m`+hint+`
			WHERE m.room_id = r.id AND m.id > COALESCE(rr.last_read_id, 0) AND m.user_id <> ? AND m.deleted_at IS NULL
			LIMIT ?) AS unread) AS unread
		FROM rooms r LEFT JOIN room_reads rr ON rr.room_id = r.id AND rr.user_id = ?
		WHERE r.id IN ?`, userID, limit, userID, roomIDs).Rows()
	if err != nil {
		return nil, translate(err, "unread states")
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var last *int64
		var st ReadState
		if err := rows.Scan(&id, &last, &st.Unread); err != nil {
			return nil, translate(err, "unread states")
		}
		st.LastReadID = last
		out[id] = st
	}
	return out, translate(rows.Err(), "unread states")
}
