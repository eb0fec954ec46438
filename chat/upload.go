package chat

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/izpochat/server/config"
	"github.com/izpochat/server/models"
	"github.com/izpochat/server/storage"
)

// UploadLimits bounds uploads.
type UploadLimits struct {
	MaxFileBytes int64         // per file
	MaxFiles     int           // per request
	LinkTTL      time.Duration // how long a signed link to a file not open to all reads it (FILE_URL_TTL)
}

// Uploads is the domain of uploaded files: what may be stored, where, by whom,
// and keeping rows and stored objects consistent. It posts file messages through
// the Service's one message path.
type Uploads struct {
	svc     *Service
	objects storage.Store
	limits  UploadLimits
	log     *slog.Logger
}

// cleanupTimeout bounds removing objects of a failed upload, even when the
// client has gone.
const cleanupTimeout = 30 * time.Second

// NewUploads builds the upload domain over svc and an object store.
func NewUploads(svc *Service, objects storage.Store, limits UploadLimits) *Uploads {
	if limits.MaxFileBytes <= 0 {
		limits.MaxFileBytes = config.DefaultMaxFileMB << 20
	}
	if limits.MaxFiles <= 0 {
		limits.MaxFiles = config.DefaultMaxFiles
	}
	svc.objects = objects
	if signer, ok := objects.(storage.Signer); ok {
		svc.SetFileSigner(signer, limits.LinkTTL)
	}
	return &Uploads{svc: svc, objects: objects, limits: limits, log: svc.log}
}

// Allowed describes what may be uploaded.
func (u *Uploads) Allowed() AllowedTypes { return allowedTypesView(u.limits) }

// UploadBatch is one upload request in progress: files are streamed to storage
// as they arrive (Add), then recorded all at once (Commit). Until Commit succeeds,
// Abort removes what was stored. Not safe for concurrent use.
type UploadBatch struct {
	u        *Uploads
	actor    Actor
	roomID   *int64
	private  bool // the room is private: its files are shown through signed links
	staged   []*models.FileUpload
	finished bool
}

// Begin starts an upload by the actor, charged to their upload rate limit
// before a byte of it is read.
func (u *Uploads) Begin(ctx context.Context, a Actor) (*UploadBatch, error) {
	if err := u.svc.limit(ctx, u.svc.rates.UploadPerUser, keyUploadUser+strconv.FormatInt(a.ID, 10)); err != nil {
		return nil, err
	}
	return &UploadBatch{u: u, actor: a}, nil
}

// SetRoom attaches the batch to a room the actor may post in; checked at once, so
// a refused room stops the upload before (more) bytes are stored.
func (b *UploadBatch) SetRoom(ctx context.Context, roomID int64) error {
	if b.roomID != nil && *b.roomID != roomID {
		return Invalid("room_id was given twice with different values")
	}
	r, err := b.u.svc.readableRoom(ctx, b.actor, roomID)
	if err != nil {
		return err
	}
	b.roomID, b.private = &r.ID, r.IsPrivate
	return nil
}

// Add checks one file by name and content and streams it to storage. The size
// limit is enforced while reading: the upload stops as soon as it is exceeded.
func (b *UploadBatch) Add(ctx context.Context, name string, body io.Reader) error {
	if b.finished {
		return Invalid("upload already finished")
	}
	if len(b.staged) >= b.u.limits.MaxFiles {
		return Invalid("too many files: at most %d per upload", b.u.limits.MaxFiles)
	}
	original := originalName(name)
	ext := extensionOf(original)
	if _, ok := allowedTypes[ext]; !ok {
		return Unsupported("file type %q is not allowed (allowed: %s)", "."+ext, strings.Join(b.u.Allowed().Extensions, ", "))
	}
	src := &limitedReader{r: body, left: b.u.limits.MaxFileBytes}
	head := make([]byte, sniffLen)
	n, err := io.ReadFull(src, head)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return b.readError(src, original)
	}
	head = head[:n]
	if n == 0 {
		return Invalid("file %q is empty", original)
	}
	t, ok := sniff(ext, head)
	if !ok {
		return Unsupported("the content of %q is not a .%s file", original, ext)
	}
	key := storedKey(original)
	counted := &countingReader{r: io.MultiReader(bytes.NewReader(head), src)}
	url, err := b.u.objects.Put(ctx, key, counted, -1, t.contentType)
	if src.exceeded || src.failed != nil {
		if err == nil {
			b.removeObjects(ctx, key)
		}
		return b.readError(src, original)
	}
	if err != nil {
		return storageError("store the file", err)
	}
	b.staged = append(b.staged, &models.FileUpload{
		Filename: key, OriginalFilename: original, FileSize: counted.n, ContentType: t.contentType,
		FileURL: url, UserID: b.actor.ID,
	})
	return nil
}

func (b *UploadBatch) readError(src *limitedReader, name string) error {
	if src.exceeded {
		return TooLarge("file %q is larger than %s", name, formatBytes(b.u.limits.MaxFileBytes))
	}
	return Wrap(KindInvalid, "the upload was interrupted", src.failed)
}

// UploadResult is one stored file and, when it was announced, its message.
type UploadResult struct {
	File    File
	Message *Message
}

// Commit records every added file (in the batch's room, if any). With announce,
// each file is also posted to the room as a file message through PostMessage, so
// every door delivers it live. On failure nothing of the batch remains.
func (b *UploadBatch) Commit(ctx context.Context, announce bool) ([]UploadResult, error) {
	if b.finished {
		return nil, Invalid("upload already finished")
	}
	if len(b.staged) == 0 {
		return nil, Invalid("no file was sent (use the form field \"file\" or \"files\")")
	}
	now := Now()
	for _, f := range b.staged {
		f.RoomID, f.CreatedAt = b.roomID, now
	}
	if err := b.u.svc.store.InsertFiles(ctx, b.staged); err != nil {
		return nil, internal("record uploads", err)
	}
	out := make([]UploadResult, 0, len(b.staged))
	for i, f := range b.staged {
		res := UploadResult{File: fileView(f)}
		b.u.svc.linkFile(ctx, &res.File, b.private)
		if announce && b.roomID != nil {
			msg, err := b.u.svc.PostMessage(ctx, b.actor, *b.roomID, PostInput{FileID: &f.ID})
			if err != nil {
				b.forgetRows(ctx, b.staged[i:])
				b.staged = b.staged[i:]
				return nil, err
			}
			res.Message = &msg
		}
		out = append(out, res)
	}
	b.finished = true
	return out, nil
}

// forgetRows deletes rows of files whose commit failed; Abort then removes their objects.
func (b *UploadBatch) forgetRows(ctx context.Context, files []*models.FileUpload) {
	ids := make([]int64, 0, len(files))
	for _, f := range files {
		ids = append(ids, f.ID)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	if err := b.u.svc.store.DeleteFiles(ctx, ids); err != nil {
		b.u.log.ErrorContext(ctx, "undo upload rows", "file_ids", ids, "err", err)
	}
}

// Abort removes the stored objects of an upload that did not commit. It is safe
// to call always (defer it): after a successful Commit it does nothing.
func (b *UploadBatch) Abort(ctx context.Context) {
	if b.finished {
		return
	}
	b.finished = true
	keys := make([]string, 0, len(b.staged))
	for _, f := range b.staged {
		keys = append(keys, f.Filename)
	}
	b.removeObjects(ctx, keys...)
	b.staged = nil
}

func (b *UploadBatch) removeObjects(ctx context.Context, keys ...string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	for _, k := range keys {
		if err := b.u.objects.Delete(ctx, k); err != nil {
			b.u.log.ErrorContext(ctx, "remove object of a failed upload", "key", k, "err", err)
		}
	}
}

// DeleteFile removes the actor's own upload: its object, then its row (so a
// storage failure leaves everything as it was, and the client may retry).
func (u *Uploads) DeleteFile(ctx context.Context, a Actor, fileID int64) error {
	f, err := u.svc.loadFile(ctx, fileID)
	if err != nil {
		return err
	}
	if f.UserID != a.ID {
		return Forbidden("only the uploader may delete this file")
	}
	if err := u.objects.Delete(ctx, f.Filename); err != nil && !errors.Is(err, storage.ErrInvalidKey) {
		return storageError("delete the file", err)
	}
	if err := u.svc.store.DeleteFile(ctx, f.ID); err != nil && !errors.Is(err, models.ErrNotFound) {
		return internal("delete file row", err)
	}
	return nil
}

// storageError maps a storage failure to what the client is told.
func storageError(what string, err error) error {
	switch {
	case errors.Is(err, storage.ErrTimeout):
		return Wrap(KindTimeout, fmt.Sprintf("could not %s: file storage did not answer in time", what), err)
	case errors.Is(err, storage.ErrUpstream):
		return Wrap(KindBadGateway, fmt.Sprintf("could not %s: file storage failed", what), err)
	case errors.Is(err, context.Canceled):
		return Wrap(KindInvalid, "the upload was cancelled", err)
	default:
		return internal(what, err)
	}
}

func formatBytes(n int64) string {
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%d MB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// limitedReader reads at most left bytes and fails the read that goes past them,
// remembering why it stopped.
type limitedReader struct {
	r        io.Reader
	left     int64
	exceeded bool
	failed   error // a read error of the source (not EOF)
}

var errFileTooLarge = errors.New("file exceeds the size limit")

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.exceeded {
		return 0, errFileTooLarge
	}
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.r.Read(p)
	if int64(n) > l.left {
		l.exceeded = true
		return 0, errFileTooLarge
	}
	l.left -= int64(n)
	if err != nil && !errors.Is(err, io.EOF) {
		l.failed = err
	}
	return n, err
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// Limits reports the upload limits.
func (u *Uploads) Limits() UploadLimits { return u.limits }
