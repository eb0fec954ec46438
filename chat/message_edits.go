package chat

import (
	"context"
	"errors"

	"github.com/izpochat/server/models"
)

// Editing and deleting messages (issue 23.2). Each change is stored first,
// then published through the hub, so every door on every instance delivers it
// once. Who may do it is decided here and checked again on every action.
const (
	// EventMessageEdited: Event.Message is the message as it now reads.
	EventMessageEdited EventType = "message_edited"
	// EventMessageDeleted: Event.Deleted names the message; its text is gone.
	EventMessageDeleted EventType = "message_deleted"
)

// MessageDeleted is what every door tells of a deleted message: never its text.
type MessageDeleted struct {
	Type      string `json:"type,omitempty"` // "message_deleted" on the raw WebSocket only
	ID        int64  `json:"id"`
	RoomID    int64  `json:"room_id"`
	DeletedAt Time   `json:"deleted_at"`
}

// loadMessage finds a message, as NotFound when it does not exist or is deleted.
func (s *Service) loadMessage(ctx context.Context, id int64) (*models.MessageRow, error) {
	if id <= 0 {
		return nil, NotFound("message not found")
	}
	row, err := s.store.MessageByID(ctx, id)
	if errors.Is(err, models.ErrNotFound) {
		return nil, NotFound("message not found")
	}
	if err != nil {
		return nil, internal("load message", err)
	}
	if row.DeletedAt != nil {
		return nil, NotFound("message not found")
	}
	return row, nil
}

// readableMessage loads a live message of a room the actor may read. A
// message of a private room the actor cannot read is "not found": its
// existence is not revealed.
func (s *Service) readableMessage(ctx context.Context, a Actor, id int64) (*models.MessageRow, models.RoomAccess, error) {
	row, err := s.loadMessage(ctx, id)
	if err != nil {
		return nil, models.RoomAccess{}, err
	}
	acc, err := s.roomAccess(ctx, a, row.RoomID)
	if err != nil {
		if KindOf(err) == KindForbidden {
			return nil, acc, NotFound("message not found")
		}
		return nil, acc, err
	}
	return row, acc, nil
}

// EditMessage replaces the text of the actor's own message, under the same
// rules as posting, and returns it as it now reads (edited_at set).
func (s *Service) EditMessage(ctx context.Context, a Actor, messageID int64, content string) (Message, error) {
	if err := s.limitPost(ctx, a); err != nil {
		return Message{}, err
	}
	row, acc, err := s.readableMessage(ctx, a, messageID)
	if err != nil {
		return Message{}, err
	}
	if row.UserID != a.ID {
		return Message{}, Forbidden("only the author may edit a message")
	}
	content, err = normalizeContent(content, s.limits.MaxMessageLength, row.FileID != nil)
	if err != nil {
		return Message{}, err
	}
	if content == "" { // a file's message keeps its file line
		content = row.Content
	}
	// Mentions are evaluated anew: those the edit adds are told, once.
	mentions, err := s.mentionsIn(ctx, row.RoomID, acc.IsPrivate, content)
	if err != nil {
		return Message{}, err
	}
	before, err := s.store.Mentions(ctx, []int64{row.ID})
	if err != nil {
		return Message{}, internal("mentions", err)
	}
	at := Now()
	if err := s.store.EditMessage(ctx, row.ID, content, at, mentionIDs(mentions)); err != nil {
		if errors.Is(err, models.ErrNotFound) {
			return Message{}, NotFound("message not found") // deleted meanwhile
		}
		return Message{}, internal("edit message", err)
	}
	row.Content, row.EditedAt = content, &at
	views := []Message{messageView(&row.Message, row.Username, row.SenderFullName, acc.Name)}
	if err := s.fillReplies(ctx, views, []*int64{row.ReplyToID}); err != nil {
		return Message{}, err
	}
	if acc.IsPrivate {
		s.linkMessages(ctx, views)
	}
	view := views[0]
	view.Mentions = mentions
	s.publish(ctx, Event{Type: EventMessageEdited, RoomID: row.RoomID, User: a.Ref(), At: at, Message: &view})
	s.notifyMentions(ctx, a, &view, mentionRefs(before[row.ID]))
	return view, nil
}

// DeleteMessage deletes a message: its author may, and so may the room's owner
// and admins. Its text is blanked in the database; every door is told only its
// id.
func (s *Service) DeleteMessage(ctx context.Context, a Actor, messageID int64) error {
	row, _, err := s.readableMessage(ctx, a, messageID)
	if err != nil {
		return err
	}
	if row.UserID != a.ID {
		role, err := s.roleIn(ctx, row.RoomID, a.ID)
		if err != nil {
			return err
		}
		if role != RoleOwner && role != RoleAdmin {
			return Forbidden("only the author or the room's owner or admins may delete a message")
		}
	}
	at := Now()
	if err := s.store.DeleteMessage(ctx, row.ID, at); err != nil {
		if errors.Is(err, models.ErrNotFound) {
			return NotFound("message not found") // deleted meanwhile
		}
		return internal("delete message", err)
	}
	s.publish(ctx, Event{Type: EventMessageDeleted, RoomID: row.RoomID, User: a.Ref(), At: at,
		Deleted: &MessageDeleted{ID: row.ID, RoomID: row.RoomID, DeletedAt: Time(at)}})
	return nil
}
