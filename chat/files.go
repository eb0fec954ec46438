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
	f, err := s.loadFile(ctx, fileID)
	if err != nil {
		return nil, err
	}
	if f.UserID != a.ID {
		return nil, Forbidden("you can only attach your own files")
	}
	if f.RoomID != nil && *f.RoomID != roomID {
		return nil, Forbidden("this file belongs to another room")
	}
	return f, nil
}

func (s *Service) loadFile(ctx context.Context, fileID int64) (*models.FileUpload, error) {
	if fileID <= 0 {
		return nil, NotFound("file not found")
	}
	f, err := s.store.FileByID(ctx, fileID)
	if errors.Is(err, models.ErrNotFound) {
		return nil, NotFound("file not found")
	}
	if err != nil {
		return nil, internal("load file", err)
	}
	return f, nil
}

// File shows one upload to its uploader, or to whoever may read the room it is in.
func (s *Service) File(ctx context.Context, a Actor, fileID int64) (File, error) {
	f, err := s.loadFile(ctx, fileID)
	if err != nil {
		return File{}, err
	}
	if f.UserID != a.ID {
		if f.RoomID == nil {
			return File{}, NotFound("file not found")
		}
		if _, err := s.readableRoom(ctx, a, *f.RoomID); err != nil {
			return File{}, err
		}
	}
	views, err := s.linkedFileViews(ctx, []models.FileUpload{*f})
	if err != nil {
		return File{}, err
	}
	return views[0], nil
}

// FileQuery pages a file list. Zero values mean "not set".
type FileQuery struct {
	Skip  int
	Limit int
}

func (q FileQuery) normalized() (FileQuery, error) {
	if q.Skip < 0 || q.Limit < 0 {
		return q, Invalid("skip and limit must not be negative")
	}
	if q.Limit == 0 {
		q.Limit = defaultHistoryLimit
	}
	q.Limit = min(q.Limit, maxHistoryLimit)
	return q, nil
}

// MyFiles lists the actor's uploads, newest first.
func (s *Service) MyFiles(ctx context.Context, a Actor, q FileQuery) ([]File, error) {
	q, err := q.normalized()
	if err != nil {
		return nil, err
	}
	rows, err := s.store.FilesOfUser(ctx, a.ID, q.Skip, q.Limit)
	if err != nil {
		return nil, internal("list files", err)
	}
	return s.linkedFileViews(ctx, rows)
}

// RoomFiles lists a readable room's files, newest first.
func (s *Service) RoomFiles(ctx context.Context, a Actor, roomID int64, q FileQuery) ([]File, error) {
	q, err := q.normalized()
	if err != nil {
		return nil, err
	}
	r, err := s.readableRoom(ctx, a, roomID)
	if err != nil {
		return nil, err
	}
	rows, err := s.store.FilesOfRoom(ctx, r.ID, q.Skip, q.Limit)
	if err != nil {
		return nil, internal("list room files", err)
	}
	out := fileViews(rows)
	for i := range out {
		s.linkFile(ctx, &out[i], r.IsPrivate)
	}
	return out, nil
}

func fileViews(rows []models.FileUpload) []File {
	out := make([]File, 0, len(rows))
	for i := range rows {
		out = append(out, fileView(&rows[i]))
	}
	return out
}
