package models

import (
	"context"
	"strings"
)

// RoomsPrivate reads is_private of each existing room in ids.
func (s *Store) RoomsPrivate(ctx context.Context, ids []int64) (map[int64]bool, error) {
	out := make(map[int64]bool, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		ID        int64
		IsPrivate bool
	}
	err := s.with(ctx).Raw(`SELECT id, COALESCE(is_private, ?) AS is_private FROM rooms WHERE id IN ?`, false, ids).Scan(&rows).Error
	if err != nil {
		return nil, translate(err, "rooms private")
	}
	for _, r := range rows {
		out[r.ID] = r.IsPrivate
	}
	return out, nil
}

// FileInPrivateRoom reports whether the object key belongs to a file of a
// private room: its file_uploads row is attached to one or, for files that have
// no row (databases of the generation without file_uploads), messages of a
// private room link to it and none of a public room does.
func (s *Store) FileInPrivateRoom(ctx context.Context, key string) (bool, error) {
	var rows []struct {
		RoomID    *int64
		IsPrivate *bool
	}
	err := s.with(ctx).Raw(`SELECT f.room_id, r.is_private FROM file_uploads f LEFT JOIN rooms r ON r.id = f.room_id
		WHERE f.filename = ? LIMIT 1`, key).Scan(&rows).Error
	if err == nil && len(rows) > 0 {
		r := rows[0]
		return r.RoomID != nil && (r.IsPrivate == nil || *r.IsPrivate), nil
	}
	// No row (or no file_uploads table): the messages that link to it decide.
	pattern := "%/" + likeEscaper.Replace(key)
	linked := func(private bool) string {
		return `EXISTS (SELECT 1 FROM messages m JOIN rooms r ON r.id = m.room_id
			WHERE m.file_url LIKE @pattern ESCAPE '!' AND COALESCE(r.is_private, FALSE) = ` + map[bool]string{true: "TRUE", false: "FALSE"}[private] + `)`
	}
	var out struct{ InPrivate, InPublic bool }
	err = s.with(ctx).Raw(`SELECT `+linked(true)+` AS in_private, `+linked(false)+` AS in_public`,
		map[string]any{"pattern": pattern}).Scan(&out).Error
	if err != nil {
		return false, translate(err, "file in private room")
	}
	return out.InPrivate && !out.InPublic, nil
}

var likeEscaper = strings.NewReplacer("!", "!!", "%", "!%", "_", "!_")
