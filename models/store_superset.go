package models

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Queries behind the fields and routes the older clients read (issue 21.4):
// rooms' last activity, the files of a history page, a file by its stored name,
// the caller's files in one room.

// RoomsActivity returns, for each room of ids that has messages, the time of its
// newest message (by id, so each room is one step down its (room_id, id) index,
// however long its history).
func (s *Store) RoomsActivity(ctx context.Context, ids []int64) (map[int64]time.Time, error) {
	out := make(map[int64]time.Time, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	createdAt := "m.created_at"
	if s.Dialect() == "sqlite" {
		createdAt = "CAST(m.created_at AS TEXT)"
	}
	rows, err := s.with(ctx).Raw(`SELECT r.id, (SELECT `+createdAt+` FROM messages m WHERE m.room_id = r.id
		ORDER BY m.id DESC LIMIT 1) FROM rooms r WHERE r.id IN ?`, ids).Rows()
	if err != nil {
		return nil, translate(err, "rooms activity")
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var at time.Time
		var raw any
		if err := rows.Scan(&id, &raw); err != nil {
			return nil, translate(err, "rooms activity")
		}
		if raw == nil {
			continue
		}
		if err := (timeScanner{&at}).Scan(raw); err != nil {
			return nil, fmt.Errorf("rooms activity: %w", err)
		}
		out[id] = at
	}
	return out, translate(rows.Err(), "rooms activity")
}

// FilesByIDsOrNames loads the uploads whose id is in ids or whose stored name is
// in names (messages of older generations name their file only by URL).
func (s *Store) FilesByIDsOrNames(ctx context.Context, ids []int64, names []string) ([]FileUpload, error) {
	var out []FileUpload
	if len(ids) == 0 && len(names) == 0 {
		return out, nil
	}
	var where []string
	var args []any
	if len(ids) > 0 {
		where, args = append(where, "id IN ?"), append(args, ids)
	}
	if len(names) > 0 {
		where, args = append(where, "filename IN ?"), append(args, names)
	}
	err := s.with(ctx).Where(strings.Join(where, " OR "), args...).Find(&out).Error
	return out, translate(err, "files of messages")
}

// FileByFilename loads the upload stored under key.
func (s *Store) FileByFilename(ctx context.Context, key string) (*FileUpload, error) {
	var f FileUpload
	err := s.with(ctx).Where("filename = ?", key).Order("id").Take(&f).Error
	return &f, translate(err, "file by filename")
}

// FilesOfUserInRoom lists a user's uploads attached to roomID, newest first.
func (s *Store) FilesOfUserInRoom(ctx context.Context, userID, roomID int64, skip, limit int) ([]FileUpload, error) {
	var out []FileUpload
	err := s.with(ctx).Where("user_id = ? AND room_id = ?", userID, roomID).
		Order("created_at DESC, id DESC").Offset(skip).Limit(limit).Find(&out).Error
	return out, translate(err, "files of user in room")
}
