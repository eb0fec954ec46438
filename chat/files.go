package chat

import (
	"context"
	"errors"

	"github.com/izpochat/server/models"
)

// attachableFile loads a file the actor may attach to a message in roomID: their own
// upload, not yet attached or attached to this very room.
func (s *Service) attachableFile(ctx context.Context, a Actor, roomID, fileID int64) (*models.FileUpload, error) {
	if fileID <= 0 {
		return nil, Invalid("file_id must be a positive integer")
	}
	f, err := s.store.FileByID(ctx, fileID)
	if errors.Is(err, models.ErrNotFound) {
		return nil, NotFound("file not found")
	}
	if err != nil {
		return nil, internal("load file", err)
	}
	if f.UserID != a.ID {
		return nil, Forbidden("you can only attach your own files")
	}
	if f.RoomID != nil && *f.RoomID != roomID {
		return nil, Forbidden("this file belongs to another room")
	}
	return f, nil
}
