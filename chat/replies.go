package chat

import (
	"context"
	"unicode/utf8"
)

// Replies (issue 23.3): a message may answer another message of its room; it
// then shows reply_to, a short excerpt of that message as it now reads.

// replyExcerptRunes bounds the excerpt of the message replied to.
const replyExcerptRunes = 120

func excerpt(s string) string {
	if utf8.RuneCountInString(s) <= replyExcerptRunes {
		return s
	}
	n := 0
	for i := range s {
		if n == replyExcerptRunes {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

// replyTarget checks the message a new message of roomID answers: it must be
// a live message of the same room.
func (s *Service) replyTarget(ctx context.Context, roomID, replyToID int64) (*ReplyRef, error) {
	if replyToID <= 0 {
		return nil, Invalid("reply_to_id must be a positive integer")
	}
	targets, err := s.store.ReplyTargets(ctx, []int64{replyToID})
	if err != nil {
		return nil, internal("reply target", err)
	}
	t, ok := targets[replyToID]
	if !ok || t.Deleted {
		return nil, NotFound("the message replied to was not found")
	}
	if t.RoomID != roomID {
		return nil, Invalid("a reply must answer a message of the same room")
	}
	return &ReplyRef{ID: t.ID, Username: t.Username, Content: excerpt(t.Content)}, nil
}

// fillReplies sets reply_to on views, whose i-th message answers replyTo[i]
// (nil: none), in one query for them all. A message replied to that is gone
// (its room's rows only go with the room) shows as deleted: an empty excerpt.
func (s *Service) fillReplies(ctx context.Context, views []Message, replyTo []*int64) error {
	var ids []int64
	for _, id := range replyTo {
		if id != nil {
			ids = append(ids, *id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	targets, err := s.store.ReplyTargets(ctx, ids)
	if err != nil {
		return internal("reply targets", err)
	}
	for i, id := range replyTo {
		if id == nil || views[i].DeletedAt != nil {
			continue
		}
		ref := &ReplyRef{ID: *id}
		if t, ok := targets[*id]; ok && t.RoomID == views[i].RoomID {
			ref.Username = t.Username
			if !t.Deleted {
				ref.Content = excerpt(t.Content)
			}
		}
		views[i].ReplyTo = ref
	}
	return nil
}
