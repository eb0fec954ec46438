package models

import (
	"context"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Mentions of users in messages (issue 23.6), in message_mentions (migration
// 00007). Nothing here decides who may be mentioned: the domain resolves the
// names to users who may read the room before calling.

// UserRefRow is a user's id and username.
type UserRefRow struct {
	ID       int64
	Username string
}

// MentionRow is one user a message mentions.
type MentionRow struct {
	MessageID int64
	UserID    int64
	Username  string
}

// MentionTargets resolves usernames (matched exactly, as logins match them)
// to users, in one query. With private set only members of roomID are
// returned: a user who cannot read the room is never mentioned in it.
func (s *Store) MentionTargets(ctx context.Context, roomID int64, usernames []string, private bool) ([]UserRefRow, error) {
	if len(usernames) == 0 {
		return nil, nil
	}
	db := s.with(ctx).Table("users").Select("users.id, users.username").Where("users.username IN ?", usernames)
	if private {
		db = db.Where("EXISTS (SELECT 1 FROM room_members m WHERE m.room_id = ? AND m.user_id = users.id)", roomID)
	}
	var out []UserRefRow
	err := db.Order("users.id").Scan(&out).Error
	return out, translate(err, "mention targets")
}

// InsertMentions records the mentions of stored messages (by message id);
// messages without any cost no statement.
func (s *Store) InsertMentions(ctx context.Context, byMessage map[int64][]int64) error {
	rows := mentionRows(byMessage)
	if len(rows) == 0 {
		return nil
	}
	err := s.with(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&rows).Error
	return translate(err, "insert mentions")
}

func mentionRows(byMessage map[int64][]int64) []MessageMention {
	var rows []MessageMention
	for id, users := range byMessage {
		for _, u := range users {
			rows = append(rows, MessageMention{MessageID: id, UserID: u})
		}
	}
	return rows
}

// Mentions loads the mentions of messages ids, by message, in one query, in
// user id order.
func (s *Store) Mentions(ctx context.Context, ids []int64) (map[int64][]MentionRow, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var rows []MentionRow
	err := s.with(ctx).Table("message_mentions").
		Select("message_mentions.message_id, message_mentions.user_id, users.username").
		Joins("JOIN users ON users.id = message_mentions.user_id").
		Where("message_mentions.message_id IN ?", ids).
		Order("message_mentions.message_id, message_mentions.user_id").Scan(&rows).Error
	if err != nil {
		return nil, translate(err, "mentions")
	}
	out := make(map[int64][]MentionRow)
	for _, r := range rows {
		out[r.MessageID] = append(out[r.MessageID], r)
	}
	return out, nil
}

// deleteMessageMentions and deleteRoomMentions go with the message (blanked)
// or the room's messages, in the caller's transaction (see deleteMessageReactions).
func deleteMessageMentions(tx *gorm.DB, messageID int64) error {
	return tx.Exec(`DELETE FROM message_mentions WHERE message_id = ?`, messageID).Error
}

func deleteRoomMentions(tx *gorm.DB, roomID int64) error {
	return tx.Exec(`DELETE FROM message_mentions WHERE message_id IN (SELECT id FROM messages WHERE room_id = ?)`,
		roomID).Error
}
