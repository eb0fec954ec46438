package chat

import (
	"context"
	"strconv"
	"strings"

	"github.com/izpochat/server/models"
)

// A channel per user (issue 23.6): besides the events of the rooms it is in,
// every authenticated connection gets the events addressed to its user
// wherever they happen (Event.ToUser): being added to a room, a new
// conversation, a mention. Mentions are `@username` in a message's content:
// the Message lists them in `mentions` and each mentioned user who may read the
// room gets a `mention` event. A name that is nobody, or somebody who cannot
// read the room, is left as plain text: no event, no entry, nothing revealed.
const (
	// EventMention: Event.Mention, to Event.ToUser (RoomID 0: it is not an
	// event of the room, whose sockets got the message itself).
	EventMention EventType = "mention"
	// EventConversationStarted: Event.Conversation, to Event.ToUser, the other
	// member of a new conversation (RoomID 0).
	EventConversationStarted EventType = "conversation_started"
)

// MaxMentions bounds the users one message mentions: names beyond the first
// MaxMentions different ones are left as text.
const MaxMentions = 20

// MentionRef is a mentioned user as a Message lists it.
type MentionRef struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
}

// MentionNotice is the mention event: who mentioned the user where.
type MentionNotice struct {
	Type      string     `json:"type,omitempty"` // the event's name on the raw WebSocket only
	MessageID int64      `json:"message_id"`
	RoomID    int64      `json:"room_id"`
	UserID    int64      `json:"user_id"` // the mentioned user
	By        MentionRef `json:"by"`
	Excerpt   string     `json:"excerpt"` // the first 120 characters of the message
}

// ConversationStarted is the conversation_started event: the new
// conversation's room as GET /api/rooms/{id} shows it to the user told, and
// who started it (other_user, as the conversation list names it).
type ConversationStarted struct {
	Type      string  `json:"type,omitempty"` // the event's name on the raw WebSocket only
	RoomID    int64   `json:"room_id"`
	Room      Room    `json:"room"`
	OtherUser UserRef `json:"other_user"`
}

// ParseMentions lists the usernames content mentions, in order of first
// appearance, each once, at most MaxMentions: `@` followed by a username's
// characters (letters, digits, '_', '.', '-'), not preceded by one of them (so
// an email address mentions nobody), trailing dots dropped (the end of a
// sentence), 3 to 50 characters as usernames are. Names are matched exactly,
// as logins match usernames.
func ParseMentions(content string) []string {
	var out []string
	for i := 0; i < len(content); i++ {
		if content[i] != '@' || (i > 0 && usernameByte(content[i-1])) {
			continue
		}
		j := i + 1
		for j < len(content) && usernameByte(content[j]) {
			j++
		}
		name := strings.TrimRight(content[i+1:j], ".")
		i = j - 1
		if len(name) < 3 || len(name) > 50 || containsName(out, name) {
			continue
		}
		out = append(out, name)
		if len(out) == MaxMentions {
			break
		}
	}
	return out
}

func usernameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-'
}

func containsName(names []string, name string) bool {
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}

// mentionsIn resolves the names content mentions to users who may read the
// room (one query; none when it mentions nobody).
func (s *Service) mentionsIn(ctx context.Context, roomID int64, private bool, content string) ([]MentionRef, error) {
	names := ParseMentions(content)
	if len(names) == 0 {
		return nil, nil
	}
	rows, err := s.store.MentionTargets(ctx, roomID, names, private)
	if err != nil {
		return nil, internal("mentions", err)
	}
	out := make([]MentionRef, len(rows))
	for i, r := range rows {
		out[i] = MentionRef{ID: r.ID, Username: r.Username}
	}
	return out, nil
}

func mentionIDs(refs []MentionRef) []int64 {
	if len(refs) == 0 {
		return nil
	}
	ids := make([]int64, len(refs))
	for i, r := range refs {
		ids[i] = r.ID
	}
	return ids
}

// notifyMentions tells each user the message mentions, but its author and
// those in already (an edit's earlier mentions), once each.
func (s *Service) notifyMentions(ctx context.Context, a Actor, m *Message, already []MentionRef) {
	for _, u := range m.Mentions {
		if u.ID == a.ID || containsMention(already, u.ID) {
			continue
		}
		s.publish(ctx, Event{Type: EventMention, ToUser: u.ID, User: a.Ref(),
			Mention: &MentionNotice{MessageID: m.ID, RoomID: m.RoomID, UserID: u.ID,
				By: MentionRef{ID: a.ID, Username: a.Username}, Excerpt: excerpt(m.Content)}})
	}
}

func containsMention(refs []MentionRef, id int64) bool {
	for _, r := range refs {
		if r.ID == id {
			return true
		}
	}
	return false
}

// fillMentions sets mentions on a page's live messages, in one query. They
// are the same for every reader, so a rendered page keeps them.
func (s *Service) fillMentions(ctx context.Context, msgs []Message) error {
	ids := make([]int64, 0, len(msgs))
	for i := range msgs {
		if msgs[i].DeletedAt == nil {
			ids = append(ids, msgs[i].ID)
		}
	}
	byMessage, err := s.store.Mentions(ctx, ids)
	if err != nil {
		return internal("mentions", err)
	}
	if len(byMessage) == 0 {
		return nil
	}
	for i := range msgs {
		if rows, ok := byMessage[msgs[i].ID]; ok && msgs[i].DeletedAt == nil {
			msgs[i].Mentions = mentionRefs(rows)
		}
	}
	return nil
}

func mentionRefs(rows []models.MentionRow) []MentionRef {
	out := make([]MentionRef, len(rows))
	for i, r := range rows {
		out[i] = MentionRef{ID: r.UserID, Username: r.Username}
	}
	return out
}

// appendMentionsJSON appends mentions as json.Marshal encodes the field
// (omitempty: a message that mentions nobody carries none of it).
func (m *Message) appendMentionsJSON(b []byte) []byte {
	if len(m.Mentions) == 0 {
		return b
	}
	b = append(b, `,"mentions":[`...)
	for i, r := range m.Mentions {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"id":`...)
		b = strconv.AppendInt(b, r.ID, 10)
		b = append(b, `,"username":`...)
		b = AppendJSONString(b, r.Username)
		b = append(b, '}')
	}
	return append(b, ']')
}

// mentionsJSONSize is about what appendMentionsJSON adds.
func (m *Message) mentionsJSONSize() int {
	n := 0
	for _, r := range m.Mentions {
		n += 40 + 2*len(r.Username)
	}
	return n
}
