package models

import "context"

// FileByID loads one upload.
func (s *Store) FileByID(ctx context.Context, id int64) (*FileUpload, error) {
	var f FileUpload
	err := s.with(ctx).Where("id = ?", id).Take(&f).Error
	return &f, translate(err, "file by id")
}

// AttachFile records that a file now belongs to roomID.
func (s *Store) AttachFile(ctx context.Context, fileID, roomID int64) error {
	return translate(s.with(ctx).Model(&FileUpload{}).Where("id = ?", fileID).Update("room_id", roomID).Error, "attach file")
}
