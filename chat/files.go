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

// canReadFile is the read rule for one upload: its uploader, or whoever may
// read the room it is in (a private room's: its members). A file attached to no
// room is its uploader's alone, and is missing to anyone else.
func (s *Service) canReadFile(ctx context.Context, a Actor, f *models.FileUpload) error {
	if f.UserID == a.ID {
		return nil
	}
	if f.RoomID == nil {
		return NotFound("file not found")
	}
	_, err := s.readableRoom(ctx, a, *f.RoomID)
	return err
}

// File shows one upload to whoever canReadFile lets read it.
func (s *Service) File(ctx context.Context, a Actor, fileID int64) (File, error) {
	f, err := s.loadFile(ctx, fileID)
	if err != nil {
		return File{}, err
	}
	if err := s.canReadFile(ctx, a, f); err != nil {
		return File{}, err
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
	// RoomID narrows the caller's own files to those attached to one room (the
	// FastAPI generation's GET /api/uploads/?room_id=).
	RoomID *int64
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

// MyFiles lists the actor's uploads, newest first: only their own, so a room_id
// filter needs no access check (a room the caller cannot read, or that does
// not exist, simply holds none of them, and its existence is not revealed).
func (s *Service) MyFiles(ctx context.Context, a Actor, q FileQuery) ([]File, error) {
	q, err := q.normalized()
	if err != nil {
		return nil, err
	}
	var rows []models.FileUpload
	if q.RoomID != nil {
		if *q.RoomID <= 0 {
			return nil, Invalid("room_id must be a positive integer")
		}
		rows, err = s.store.FilesOfUserInRoom(ctx, a.ID, *q.RoomID, q.Skip, q.Limit)
	} else {
		rows, err = s.store.FilesOfUser(ctx, a.ID, q.Skip, q.Limit)
	}
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
