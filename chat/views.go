package chat

import (
	"time"
)

// Time marshals as RFC 3339 in UTC with microseconds and a Z, which JavaScript's
// Date and Python's fromisoformat both parse.
type Time time.Time

const timeLayout = "2006-01-02T15:04:05.000000Z"

// MarshalText writes the time in timeLayout. Time is a TextMarshaler rather
// than a json.Marshaler: encoding/json writes the text as a string directly,
// where a MarshalJSON result is parsed again to be checked (most of the cost
// of encoding a history page's 200 timestamps).
func (t Time) MarshalText() ([]byte, error) {
	return time.Time(t).UTC().AppendFormat(make([]byte, 0, len(timeLayout)), timeLayout), nil
}

func (t Time) String() string { return time.Time(t).UTC().Format(timeLayout) }

// Now is the current time at the precision the databases keep.
func Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// UserSelf is the caller's own account.
type UserSelf struct {
	ID        int64  `json:"id"`
	Username  string `json:"username"`
	Email     string `json:"email"`
	FullName  string `json:"full_name"`
	CreatedAt Time   `json:"created_at"`
}

// UserPublic is another user as anyone may see them: never their email.
type UserPublic struct {
	ID        int64  `json:"id"`
	Username  string `json:"username"`
	FullName  string `json:"full_name"`
	CreatedAt Time   `json:"created_at"`
}

// UserRef names a user inside another object.
type UserRef struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
	FullName string `json:"full_name"`
}

// Room is a room as every door shows it.
type Room struct {
	ID          int64    `json:"id"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	IsPrivate   bool     `json:"is_private"`
	CreatedAt   Time     `json:"created_at"`
	CreatedBy   *int64   `json:"created_by"` // null: unknown (rooms of the last Flask generation)
	Creator     *UserRef `json:"creator"`
	MemberCount int      `json:"member_count"`
	Members     []Member `json:"members"` // each with its role (owner, admin, member)
	// MyRole is the caller's role in the room (issue 23.1); null when not a member.
	MyRole *string `json:"my_role"`
	// The FastAPI generation's names: owner_id is created_by (null when the
	// database does not know it), owner is creator. updated_at is the time of the
	// room's newest message, or created_at when it has none (no table records
	// room edits).
	OwnerID   *int64   `json:"owner_id"`
	Owner     *UserRef `json:"owner"`
	UpdatedAt Time     `json:"updated_at"`
	// The caller's read state (issue 23.5, reads.go): the newest message id it
	// marked read (null: never), and others' live messages after it, up to
	// MaxUnreadCounted. Both null when nobody is signed in.
	LastReadID  *int64 `json:"last_read_id"`
	UnreadCount *int   `json:"unread_count"`
}

// RoomRef names a room inside a message.
type RoomRef struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// Message is a stored message as every door delivers it: the superset of the
// fields both client generations read.
type Message struct {
	ID        int64   `json:"id"`
	Type      string  `json:"type"`
	Content   string  `json:"content"`
	UserID    int64   `json:"user_id"`
	Username  string  `json:"username"`
	RoomID    int64   `json:"room_id"`
	CreatedAt Time    `json:"created_at"`
	Timestamp Time    `json:"timestamp"`
	FileURL   *string `json:"file_url"`
	FileID    *int64  `json:"file_id"`
	File      *File   `json:"file,omitempty"`
	// The FastAPI generation's names: sender_id is user_id, room names the room.
	SenderID int64   `json:"sender_id"`
	Room     RoomRef `json:"room"`
	Sender   UserRef `json:"sender"`
	// Edits, deletions and replies (issue 23.2, 23.3), encoded by
	// appendThreadJSON (message_json_thread.go). DeletedAt is only ever set on a
	// deleted message listed with include_deleted (its content is then empty).
	EditedAt  *Time     `json:"edited_at"`
	DeletedAt *Time     `json:"deleted_at,omitempty"`
	ReplyTo   *ReplyRef `json:"reply_to"`
	// Reactions (issue 23.4) as the reader sees them, in history answers;
	// omitted when there are none (every new message: live frames do not grow).
	// Encoded by appendReactionsJSON (reactions.go).
	Reactions []Reaction `json:"reactions,omitempty"`
	// Mentions (issue 23.6): the users the text mentions who may read the
	// room; omitted when none. Encoded by appendMentionsJSON (mentions.go).
	Mentions []MentionRef `json:"mentions,omitempty"`
}

// ReplyRef is what a reply shows of the message it answers: a short excerpt
// of its current text (empty once it is deleted).
type ReplyRef struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
	Content  string `json:"content"`
}

// File is an uploaded file.
type File struct {
	ID               int64  `json:"id"`
	Filename         string `json:"filename"`
	OriginalFilename string `json:"original_filename"`
	FileSize         int64  `json:"file_size"`
	ContentType      string `json:"content_type"`
	FileURL          string `json:"file_url"`
	PublicURL        string `json:"public_url"`
	UserID           int64  `json:"user_id"`
	RoomID           *int64 `json:"room_id"`
	CreatedAt        Time   `json:"created_at"`
}

// Conversation is one entry of a user's one-to-one conversations.
type Conversation struct {
	RoomID      int64        `json:"room_id"`
	OtherUser   *UserRef     `json:"other_user"`
	LastMessage *LastMessage `json:"last_message"`
	// The caller's read state, as on Room (issue 23.5).
	LastReadID  *int64 `json:"last_read_id"`
	UnreadCount int    `json:"unread_count"`
}

// LastMessage summarises a conversation's newest message.
type LastMessage struct {
	Content   string `json:"content"`
	CreatedAt Time   `json:"created_at"`
}
