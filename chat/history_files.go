package chat

import (
	"context"

	"github.com/izpochat/server/models"
	"github.com/izpochat/server/storage"
)

// attachFiles gives the messages of a history page that carry a file their
// file{} object, as live messages have it (the FastAPI generation's clients read
// it from history too). A message names its file by file_id or, written by an
// older generation, only by its URL, whose last element is the stored name. One
// query for the page, none when no message has a file. The reader may see the
// page, so may see its files; links are made by the caller (linkMessages). It
// reports false when the files could not be read.
func (s *Service) attachFiles(ctx context.Context, msgs []Message) bool {
	var ids []int64
	var names []string
	for i := range msgs {
		m := &msgs[i]
		switch {
		case m.FileID != nil:
			ids = append(ids, *m.FileID)
		case m.FileURL != nil:
			if k, ok := storage.KeyFromURL(*m.FileURL); ok {
				names = append(names, k)
			}
		}
	}
	if len(ids) == 0 && len(names) == 0 {
		return true
	}
	rows, err := s.store.FilesByIDsOrNames(ctx, ids, names)
	if err != nil {
		// The file{} objects are extras: the page is served without them.
		s.log.WarnContext(ctx, "files of a history page", "files", len(ids)+len(names), "err", err)
		return false
	}
	byID := make(map[int64]*models.FileUpload, len(rows))
	byName := make(map[string]*models.FileUpload, len(rows))
	for i := range rows {
		byID[rows[i].ID] = &rows[i]
		if _, seen := byName[rows[i].Filename]; !seen {
			byName[rows[i].Filename] = &rows[i]
		}
	}
	for i := range msgs {
		m := &msgs[i]
		var f *models.FileUpload
		switch {
		case m.FileID != nil:
			f = byID[*m.FileID]
		case m.FileURL != nil:
			if k, ok := storage.KeyFromURL(*m.FileURL); ok {
				f = byName[k]
			}
		}
		if f == nil {
			continue
		}
		fv := fileView(f)
		roomID := m.RoomID
		fv.RoomID = &roomID
		m.File = &fv
	}
	return true
}
