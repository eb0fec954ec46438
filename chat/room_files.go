package chat

import (
	"context"
	"errors"

	"github.com/izpochat/server/storage"
)

// The rule for a deleted room's files: deleting a room deletes its files — their
// file_uploads rows with the room (one transaction), then their stored objects —
// whether the room was private or public, because the messages that showed them
// are deleted too. Until an object is gone its key stays recorded in
// file_deletions, and the plain file URL refuses it; a signed link to it finds
// nothing once it is gone. A failed object delete is logged, not reported to
// the client (the room is deleted): its key stays refused, and the next room
// deletion tries it again.

// retryFileDeletions bounds how many older pending object deletions one room
// deletion retries.
const retryFileDeletions = 100

// removeRoomFiles removes the stored objects of a just-deleted room's files and,
// after them, older ones whose removal failed before.
func (s *Service) removeRoomFiles(ctx context.Context, roomID int64, keys []string) {
	if s.objects == nil {
		if len(keys) > 0 {
			s.log.WarnContext(ctx, "room deleted: no file storage to remove its files from; their keys stay refused", "room_id", roomID, "files", len(keys))
		}
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	failed := s.removeObjects(ctx, keys)
	if len(failed) > 0 {
		s.log.ErrorContext(ctx, "room deleted: some of its files could not be removed from storage; their keys stay refused", "room_id", roomID, "keys", failed)
		return // storage is failing: no retries now
	}
	older, err := s.store.PendingFileDeletions(ctx, retryFileDeletions)
	if err != nil {
		s.log.WarnContext(ctx, "list pending file deletions", "err", err)
		return
	}
	if failed := s.removeObjects(ctx, older); len(failed) > 0 {
		s.log.WarnContext(ctx, "retried removing deleted rooms' files: some still fail", "keys", failed)
	}
}

// removeObjects deletes the objects of keys and forgets the pending deletions of
// those that are gone; it returns the keys that could not be removed.
func (s *Service) removeObjects(ctx context.Context, keys []string) (failed []string) {
	done := make([]string, 0, len(keys))
	for _, k := range keys {
		// A key of a shape we never generate names no object we serve.
		if err := s.objects.Delete(ctx, k); err != nil && !errors.Is(err, storage.ErrInvalidKey) {
			s.log.WarnContext(ctx, "remove a deleted room's file", "key", k, "err", err)
			failed = append(failed, k)
			continue
		}
		done = append(done, k)
	}
	if err := s.store.ForgetFileDeletions(ctx, done); err != nil {
		// Harmless but for the refusal: the objects are gone either way.
		s.log.WarnContext(ctx, "forget file deletions", "keys", len(done), "err", err)
	}
	return failed
}
