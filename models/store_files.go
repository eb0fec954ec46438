package models

import (
	"context"
	"fmt"

	"gorm.io/gorm"
)

// FileByID loads one upload.
func (s *Store) FileByID(ctx context.Context, id int64) (*FileUpload, error) {
	var f FileUpload
	if !validID(id) {
		return &f, fmt.Errorf("file by id: %w", ErrNotFound)
	}
	err := s.with(ctx).Where("id = ?", id).Take(&f).Error
	return &f, translate(err, "file by id")
}

// AttachFile records that a file now belongs to roomID.
func (s *Store) AttachFile(ctx context.Context, fileID, roomID int64) error {
	return translate(s.with(ctx).Model(&FileUpload{}).Where("id = ?", fileID).Update("room_id", roomID).Error, "attach file")
}

// InsertFiles stores uploads all or none, filling their ids.
func (s *Store) InsertFiles(ctx context.Context, files []*FileUpload) error {
	if len(files) == 0 {
		return nil
	}
	return translate(s.with(ctx).Transaction(func(tx *gorm.DB) error {
		return tx.Create(files).Error
	}), "insert files")
}

// DeleteFile removes an upload's row (the caller removes its object).
func (s *Store) DeleteFile(ctx context.Context, id int64) error {
	res := s.with(ctx).Where("id = ?", id).Delete(&FileUpload{})
	if res.Error == nil && res.RowsAffected == 0 {
		return translate(gorm.ErrRecordNotFound, "delete file")
	}
	return translate(res.Error, "delete file")
}

// DeleteFiles removes several uploads' rows (undoing InsertFiles).
func (s *Store) DeleteFiles(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	return translate(s.with(ctx).Where("id IN ?", ids).Delete(&FileUpload{}).Error, "delete files")
}

// FilesOfUser lists a user's uploads, newest first.
func (s *Store) FilesOfUser(ctx context.Context, userID int64, skip, limit int) ([]FileUpload, error) {
	var out []FileUpload
	err := s.with(ctx).Where("user_id = ?", userID).Order("created_at DESC, id DESC").Offset(skip).Limit(limit).Find(&out).Error
	return out, translate(err, "files of user")
}

// FilesOfRoom lists the uploads attached to a room, newest first.
func (s *Store) FilesOfRoom(ctx context.Context, roomID int64, skip, limit int) ([]FileUpload, error) {
	var out []FileUpload
	err := s.with(ctx).Where("room_id = ?", roomID).Order("created_at DESC, id DESC").Offset(skip).Limit(limit).Find(&out).Error
	return out, translate(err, "files of room")
}

// ForgetFileDeletions drops the file_deletions records of keys whose objects
// are gone (see DeleteRoom).
func (s *Store) ForgetFileDeletions(ctx context.Context, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	return translate(s.with(ctx).Where("filename IN ?", keys).Delete(&FileDeletion{}).Error, "forget file deletions")
}

// PendingFileDeletions lists up to limit keys of deleted rooms' files whose
// objects may still exist, oldest first.
func (s *Store) PendingFileDeletions(ctx context.Context, limit int) ([]string, error) {
	var keys []string
	err := s.with(ctx).Model(&FileDeletion{}).Order("created_at, filename").Limit(limit).Pluck("filename", &keys).Error
	return keys, translate(err, "pending file deletions")
}

// FileDeletionPending reports whether key is a deleted room's file whose object
// may still exist (see DeleteRoom).
func (s *Store) FileDeletionPending(ctx context.Context, key string) (bool, error) {
	var n int64
	err := s.with(ctx).Model(&FileDeletion{}).Where("filename = ?", key).Limit(1).Count(&n).Error
	return n > 0, translate(err, "file deletion pending")
}
