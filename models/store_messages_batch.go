package models

import (
	"context"

	"gorm.io/gorm/clause"
)

// InsertMessages stores several messages in one statement and fills their ids in
// order. The domain batches concurrent posts through it (group commit), which
// amortises a transaction over every message that arrived meanwhile.
func (s *Store) InsertMessages(ctx context.Context, msgs []*Message) error {
	if len(msgs) == 0 {
		return nil
	}
	return translate(s.with(ctx).Omit(clause.Associations).CreateInBatches(msgs, 500).Error, "insert messages")
}
