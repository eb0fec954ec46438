package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Edits, deletions and replies of messages (issue 23.2, 23.3). Nothing here
// decides who may do what: the domain has checked that before calling.

// editColumns are the columns History and MessageByID read after created_at,
// in the order scanHistory scans them.
func editColumns(dialect string) string {
	if dialect == "sqlite" {
		return "CAST(messages.edited_at AS TEXT), CAST(messages.deleted_at AS TEXT), messages.reply_to_id"
	}
	return "messages.edited_at, messages.deleted_at, messages.reply_to_id"
}

// nullTimeScanner is timeScanner for a nullable column.
type nullTimeScanner struct{ t **time.Time }

func (s nullTimeScanner) Scan(v any) error {
	if v == nil {
		*s.t = nil
		return nil
	}
	var t time.Time
	if err := (timeScanner{&t}).Scan(v); err != nil {
		return err
	}
	*s.t = &t
	return nil
}

// MessageByID loads one message with its sender's name, deleted or not.
func (s *Store) MessageByID(ctx context.Context, id int64) (*MessageRow, error) {
	if !validID(id) {
		return nil, fmt.Errorf("message by id: %w", ErrNotFound)
	}
	createdAt := "messages.created_at"
	if s.Dialect() == "sqlite" {
		createdAt = sqliteCreatedAt
	}
	rs, err := s.with(ctx).Table("messages").
		Select("messages.id, messages.content, messages.user_id, messages.file_url, messages.file_id, "+createdAt+
			", "+editColumns(s.Dialect())+", messages.room_id, users.username, users.full_name").
		Joins("JOIN users ON users.id = messages.user_id").
		Where("messages.id = ?", id).Limit(1).Rows()
	if err != nil {
		return nil, translate(err, "message by id")
	}
	defer rs.Close()
	if !rs.Next() {
		if err := rs.Err(); err != nil {
			return nil, translate(err, "message by id")
		}
		return nil, fmt.Errorf("message by id: %w", ErrNotFound)
	}
	var r MessageRow
	if err := rs.Scan(&r.ID, &r.Content, &r.UserID, &r.FileURL, &r.FileID, timeScanner{&r.CreatedAt},
		nullTimeScanner{&r.EditedAt}, nullTimeScanner{&r.DeletedAt}, &r.ReplyToID, &r.RoomID,
		&r.Username, &r.SenderFullName); err != nil {
		return nil, translate(err, "message by id")
	}
	return &r, translate(rs.Err(), "message by id")
}

// EditMessage replaces the content of a message that is not deleted, stamps
// edited_at and replaces its mentions with mentions (issue 23.6), in one
// transaction; ErrNotFound when there is no such message.
func (s *Store) EditMessage(ctx context.Context, id int64, content string, at time.Time, mentions []int64) error {
	err := s.with(ctx).Transaction(func(tx *gorm.DB) error {
		if err := updateLiveMessage(tx, id, map[string]any{"content": content, "edited_at": at}); err != nil {
			return err
		}
		if err := deleteMessageMentions(tx, id); err != nil {
			return err
		}
		if rows := mentionRows(map[int64][]int64{id: mentions}); len(rows) > 0 {
			return tx.Create(&rows).Error
		}
		return nil
	})
	return translate(err, "edit message")
}

// DeleteMessage marks a message deleted and blanks its text in the same
// statement, so the text is gone from the database, not only hidden, and its
// reactions go with it; ErrNotFound when there is no such message or it is
// deleted already.
func (s *Store) DeleteMessage(ctx context.Context, id int64, at time.Time) error {
	err := s.with(ctx).Transaction(func(tx *gorm.DB) error {
		if err := updateLiveMessage(tx, id, map[string]any{"content": "", "deleted_at": at}); err != nil {
			return err
		}
		if err := deleteMessageMentions(tx, id); err != nil {
			return err
		}
		return deleteMessageReactions(tx, id)
	})
	return translate(err, "delete message")
}

// updateLiveMessage sets columns of message id unless it is deleted;
// gorm.ErrRecordNotFound when there is no such message or it is deleted.
func updateLiveMessage(tx *gorm.DB, id int64, columns map[string]any) error {
	res := tx.Model(&Message{}).Where("id = ? AND deleted_at IS NULL", id).Updates(columns)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return gorm.ErrRecordNotFound
	}
	return nil
}

// ReplyTarget is what a reply shows of the message it answers.
type ReplyTarget struct {
	ID       int64
	RoomID   int64
	Username string
	Content  string
	Deleted  bool
}

// ReplyTargets loads the messages ids name, by id, in one query (missing ids
// are left out).
func (s *Store) ReplyTargets(ctx context.Context, ids []int64) (map[int64]ReplyTarget, error) {
	out := make(map[int64]ReplyTarget, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		ID       int64
		RoomID   int64
		Username string
		Content  string
		Deleted  bool
	}
	err := s.with(ctx).Table("messages").
		Select("messages.id, messages.room_id, users.username, messages.content, messages.deleted_at IS NOT NULL AS deleted").
		Joins("JOIN users ON users.id = messages.user_id").
		Where("messages.id IN ?", ids).Scan(&rows).Error
	if err != nil {
		return nil, translate(err, "reply targets")
	}
	for _, r := range rows {
		out[r.ID] = ReplyTarget(r)
	}
	return out, nil
}
