package chat

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/izpochat/server/models"
	"github.com/izpochat/server/storage"
)

// Download is a file's bytes on their way to a reader the read rule let see the
// file (canReadFile: the same rule as for its view). The caller closes Body.
type Download struct {
	Name        string // the name the uploader gave it
	ContentType string // by its stored name's extension, as the file route serves it
	Inline      bool   // may be shown in the browser rather than saved (storage.Inline)
	Body        io.ReadCloser
	Size        int64 // -1 when unknown
	ModTime     time.Time
}

// Download opens the bytes of upload fileID (GET /api/uploads/{id}/download).
func (u *Uploads) Download(ctx context.Context, a Actor, fileID int64) (*Download, error) {
	f, err := u.svc.loadFile(ctx, fileID)
	if err != nil {
		return nil, err
	}
	return u.open(ctx, a, f)
}

// DownloadByName opens the bytes of the upload stored as key (GET
// /api/files/{stored filename}); a name of a shape never generated is missing.
func (u *Uploads) DownloadByName(ctx context.Context, a Actor, key string) (*Download, error) {
	if !storage.ValidKey(key) {
		return nil, NotFound("file not found")
	}
	f, err := u.svc.store.FileByFilename(ctx, key)
	if errors.Is(err, models.ErrNotFound) {
		return nil, NotFound("file not found")
	}
	if err != nil {
		return nil, internal("load file", err)
	}
	return u.open(ctx, a, f)
}

func (u *Uploads) open(ctx context.Context, a Actor, f *models.FileUpload) (*Download, error) {
	if err := u.svc.canReadFile(ctx, a, f); err != nil {
		return nil, err
	}
	opener, ok := u.objects.(storage.Opener)
	if !ok {
		return nil, newErr(KindUnavailable, "file storage cannot read files back")
	}
	obj, err := opener.Open(ctx, f.Filename)
	switch {
	case errors.Is(err, storage.ErrNotFound), errors.Is(err, storage.ErrInvalidKey):
		// A row whose object is gone (or was never ours to serve).
		return nil, NotFound("file not found")
	case err != nil:
		return nil, storageError("read the file", err)
	}
	ct := ContentTypeOf(f.Filename)
	if ct == "" {
		ct = "application/octet-stream"
	}
	return &Download{Name: f.OriginalFilename, ContentType: ct, Inline: storage.Inline(ct),
		Body: obj.Body, Size: obj.Size, ModTime: obj.ModTime}, nil
}
