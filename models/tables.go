// Package models is the database door: the GORM models of the tables the Flask backend
// created (same names and columns, so an existing database is taken over in place) and
// the queries the domain needs. Nothing here decides policy.
package models

import "time"

// User is a row of users. FullName is nullable in the Flask schema.
type User struct {
	ID           int64     `gorm:"primaryKey;autoIncrement"`
	Username     string    `gorm:"size:50;not null;uniqueIndex:users_username_key"`
	Email        string    `gorm:"size:120;not null;uniqueIndex:users_email_key"`
	PasswordHash string    `gorm:"column:password_hash;size:255;not null"`
	FullName     *string   `gorm:"size:100"`
	CreatedAt    time.Time `gorm:"autoCreateTime:false"`
	// TokenGeneration is our addition: a password change moves it on, and tokens issued for
	// an older generation are refused. Defaulted, so rows the Flask app writes get 0.
	TokenGeneration int64 `gorm:"column:token_generation;not null;default:0"`
}

func (User) TableName() string { return "users" }

// Room is a row of rooms. DMKey is our addition: the ordered user pair ("3:7") of a
// one-to-one conversation, unique so that two simultaneous requests create one room.
type Room struct {
	ID          int64   `gorm:"primaryKey;autoIncrement"`
	Name        string  `gorm:"size:150;not null"`
	Description *string `gorm:"type:text"`
	IsPrivate   bool    `gorm:"not null;default:false"`
	// CreatedBy is 0 when the creator is unknown: the last Flask generation kept
	// none, and its rooms read as created by nobody (created_by null in views).
	CreatedBy int64     `gorm:"index"`
	CreatedAt time.Time `gorm:"autoCreateTime:false"`
	DMKey     *string   `gorm:"column:dm_key;size:64;uniqueIndex:rooms_dm_key_key"`

	Creator *User `gorm:"foreignKey:CreatedBy;constraint:OnDelete:CASCADE"`
}

func (Room) TableName() string { return "rooms" }

// RoomMember is the association table of the Flask schema.
type RoomMember struct {
	UserID int64 `gorm:"primaryKey;autoIncrement:false;index:room_members_user_idx"`
	RoomID int64 `gorm:"primaryKey;autoIncrement:false;index:room_members_room_idx"`
	// Role is our addition (issue 23.1): "admin" or "member". The owner is not
	// stored here: it is rooms.created_by. Defaulted, so rows the Flask app
	// writes are members. Added by migration 00003 (models/migrations).
	Role string `gorm:"column:role;size:16;not null;default:member"`

	User *User `gorm:"foreignKey:UserID;constraint:OnDelete:CASCADE"`
	Room *Room `gorm:"foreignKey:RoomID;constraint:OnDelete:CASCADE"`
}

func (RoomMember) TableName() string { return "room_members" }

// Message is a row of messages. FileID is our addition (nullable).
// The (room_id, id) index serves every history cursor.
type Message struct {
	ID        int64     `gorm:"primaryKey;autoIncrement;index:messages_room_id_id_idx,priority:2"`
	Content   string    `gorm:"type:text;not null"`
	UserID    int64     `gorm:"not null;index"`
	RoomID    int64     `gorm:"not null;index:messages_room_id_id_idx,priority:1"`
	FileURL   *string   `gorm:"column:file_url;size:512"`
	FileID    *int64    `gorm:"column:file_id"`
	CreatedAt time.Time `gorm:"autoCreateTime:false;index:ix_messages_created_at"`
	// Our additions (issue 23.2, 23.3), all nullable so Flask's rows stay
	// valid: when the text was last changed, when the message was deleted (its
	// content is then blanked), and the message it answers (same room). Plain
	// *time.Time, not gorm.DeletedAt: deleted rows stay readable as such.
	EditedAt  *time.Time `gorm:"column:edited_at"`
	DeletedAt *time.Time `gorm:"column:deleted_at"`
	ReplyToID *int64     `gorm:"column:reply_to_id"`
	// Mentions are the users the message mentions (issue 23.6): not a column,
	// their rows (message_mentions) are stored with the message by the
	// domain's writer.
	Mentions []int64 `gorm:"-"`

	User *User `gorm:"foreignKey:UserID;constraint:OnDelete:CASCADE"`
	Room *Room `gorm:"foreignKey:RoomID;constraint:OnDelete:CASCADE"`
}

func (Message) TableName() string { return "messages" }

// FileUpload is a row of file_uploads.
type FileUpload struct {
	ID               int64     `gorm:"primaryKey;autoIncrement"`
	Filename         string    `gorm:"size:255;not null"`
	OriginalFilename string    `gorm:"size:255;not null"`
	FileSize         int64     `gorm:"not null"`
	ContentType      string    `gorm:"size:100"`
	FileURL          string    `gorm:"column:file_url;size:512"`
	UserID           int64     `gorm:"not null;index"`
	RoomID           *int64    `gorm:"index"`
	CreatedAt        time.Time `gorm:"autoCreateTime:false"`

	User *User `gorm:"foreignKey:UserID;constraint:OnDelete:CASCADE"`
	Room *Room `gorm:"foreignKey:RoomID;constraint:OnDelete:SET NULL"`
}

func (FileUpload) TableName() string { return "file_uploads" }

// FileDeletion is a file whose row is gone (its room was deleted) but whose
// stored object may still exist: until the object is removed, its key is refused
// at the plain file URL. A table of its own, so the Flask tables stay unaltered.
type FileDeletion struct {
	Filename  string    `gorm:"primaryKey;size:255"`
	CreatedAt time.Time `gorm:"autoCreateTime:false"`
}

func (FileDeletion) TableName() string { return "file_deletions" }

// All lists the models in creation order (referenced tables first).
func All() []any {
	return []any{&User{}, &Room{}, &RoomMember{}, &Message{}, &FileUpload{}, &FileDeletion{}, &RoomRead{}, &MessageMention{}}
}

// MessageMention is a row of message_mentions (issue 23.6, migration 00007):
// a user a message mentions (@username) who could read its room when it was
// written or last edited.
type MessageMention struct {
	MessageID int64 `gorm:"primaryKey;autoIncrement:false"`
	UserID    int64 `gorm:"primaryKey;autoIncrement:false;index:message_mentions_user_idx"`
}

func (MessageMention) TableName() string { return "message_mentions" }
