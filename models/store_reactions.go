package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Reactions to messages (issue 23.4), in message_reactions (migration 00004):
// one row per (message, user, emoji). Nothing here decides who may react: the
// domain has checked that before calling.

// ReactionCount is one emoji's reactions to one message.
type ReactionCount struct {
	MessageID int64
	Emoji     string
	Count     int64
	// Me: the viewer named in the query is among them.
	Me bool
}

// AddReaction records userID's emoji on a message that exists and is not
// deleted, in one statement (a deletion meanwhile cannot be reacted to).
// added is false when the reaction was there already; ErrNotFound when the
// message is missing or deleted.
func (s *Store) AddReaction(ctx context.Context, messageID, userID int64, emoji string, at time.Time) (added bool, err error) {
	if !validID(messageID) {
		return false, fmt.Errorf("add reaction: %w", ErrNotFound)
	}
	// PostgreSQL types a bare parameter of a SELECT list as text; SQLite has no
	// such types (a CAST there would change the value's affinity).
	values := "?, ?, ?, ?"
	if s.Dialect() != "sqlite" {
		values = "CAST(? AS bigint), CAST(? AS bigint), CAST(? AS varchar(64)), CAST(? AS timestamptz)"
	}
	res := s.with(ctx).Exec(`INSERT INTO message_reactions (message_id, user_id, emoji, created_at)
		SELECT `+values+` WHERE EXISTS (SELECT 1 FROM messages WHERE id = ? AND deleted_at IS NULL)
		ON CONFLICT (message_id, user_id, emoji) DO NOTHING`,
		messageID, userID, emoji, at.UTC(), messageID)
	if res.Error != nil {
		return false, translate(res.Error, "add reaction")
	}
	if res.RowsAffected > 0 {
		return true, nil
	}
	// Nothing inserted: the reaction was there, or the message is gone.
	var n int64
	err = s.with(ctx).Raw(`SELECT COUNT(*) FROM message_reactions r JOIN messages m ON m.id = r.message_id
		WHERE r.message_id = ? AND r.user_id = ? AND r.emoji = ? AND m.deleted_at IS NULL`,
		messageID, userID, emoji).Scan(&n).Error
	if err != nil {
		return false, translate(err, "add reaction")
	}
	if n == 0 {
		return false, fmt.Errorf("add reaction: %w", ErrNotFound)
	}
	return false, nil
}

// RemoveReaction deletes userID's emoji on a message; removed is false when
// there was none.
func (s *Store) RemoveReaction(ctx context.Context, messageID, userID int64, emoji string) (removed bool, err error) {
	if !validID(messageID) {
		return false, nil
	}
	res := s.with(ctx).Exec(`DELETE FROM message_reactions WHERE message_id = ? AND user_id = ? AND emoji = ?`,
		messageID, userID, emoji)
	return res.RowsAffected > 0, translate(res.Error, "remove reaction")
}

// ReactionCounts loads the reactions of the messages ids name, in one query:
// per message (ascending) its emoji in the order they were first used, Me set
// where viewerID is among the reactors.
func (s *Store) ReactionCounts(ctx context.Context, ids []int64, viewerID int64) ([]ReactionCount, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var rows []ReactionCount
	err := s.with(ctx).Raw(`SELECT message_id, emoji, COUNT(*) AS count,
			MAX(CASE WHEN user_id = ? THEN 1 ELSE 0 END) = 1 AS me
		FROM message_reactions WHERE message_id IN ?
		GROUP BY message_id, emoji ORDER BY message_id, MIN(id)`, viewerID, ids).Scan(&rows).Error
	if err != nil {
		return nil, translate(err, "reaction counts")
	}
	return rows, nil
}

// Reactors lists who reacted to any of the messages ids name (each once).
func (s *Store) Reactors(ctx context.Context, ids []int64) ([]int64, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var users []int64
	err := s.with(ctx).Raw(`SELECT DISTINCT user_id FROM message_reactions WHERE message_id IN ?`, ids).
		Scan(&users).Error
	return users, translate(err, "reactors")
}

// deleteMessageReactions and deleteRoomReactions go with the message (or the
// room's messages) they belong to, in the caller's transaction: SQLite runs
// without foreign-key enforcement, so the cascades of migration 00004 only
// act on PostgreSQL.
func deleteMessageReactions(tx *gorm.DB, messageID int64) error {
	return tx.Exec(`DELETE FROM message_reactions WHERE message_id = ?`, messageID).Error
}

func deleteRoomReactions(tx *gorm.DB, roomID int64) error {
	return tx.Exec(`DELETE FROM message_reactions WHERE message_id IN (SELECT id FROM messages WHERE room_id = ?)`,
		roomID).Error
}
