package chat

import "github.com/izpochat/server/models"

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func selfView(u *models.User) UserSelf {
	return UserSelf{ID: u.ID, Username: u.Username, Email: u.Email, FullName: deref(u.FullName), CreatedAt: Time(u.CreatedAt)}
}

func publicView(u *models.User) UserPublic {
	return UserPublic{ID: u.ID, Username: u.Username, FullName: deref(u.FullName), CreatedAt: Time(u.CreatedAt)}
}

func publicViews(users []models.User) []UserPublic {
	out := make([]UserPublic, 0, len(users))
	for i := range users {
		out = append(out, publicView(&users[i]))
	}
	return out
}

func refView(u *models.User) *UserRef {
	if u == nil {
		return nil
	}
	return &UserRef{ID: u.ID, Username: u.Username, FullName: deref(u.FullName)}
}

func messageView(m *models.Message, username string, fullName *string, roomName string) Message {
	v := Message{
		ID: m.ID, Type: "message", Content: m.Content, UserID: m.UserID, Username: username, RoomID: m.RoomID,
		CreatedAt: Time(m.CreatedAt), Timestamp: Time(m.CreatedAt), FileURL: m.FileURL, FileID: m.FileID,
		SenderID: m.UserID, Room: RoomRef{ID: m.RoomID, Name: roomName},
		Sender: UserRef{ID: m.UserID, Username: username, FullName: deref(fullName)},
	}
	if m.EditedAt != nil {
		at := Time(*m.EditedAt)
		v.EditedAt = &at
	}
	if m.DeletedAt != nil {
		// Nothing of what it said is shown again, whatever the row still holds.
		at := Time(*m.DeletedAt)
		v.DeletedAt, v.Content, v.FileURL, v.FileID = &at, "", nil, nil
	}
	return v
}

func fileView(f *models.FileUpload) File {
	return File{
		ID: f.ID, Filename: f.Filename, OriginalFilename: f.OriginalFilename, FileSize: f.FileSize,
		ContentType: f.ContentType, FileURL: f.FileURL, PublicURL: f.FileURL, UserID: f.UserID,
		RoomID: f.RoomID, CreatedAt: Time(f.CreatedAt),
	}
}

// creatorID is a room's created_by as views show it: null when unknown (0).
func creatorID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}
