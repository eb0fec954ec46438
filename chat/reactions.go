package chat

import (
	"context"
	"errors"
	"strconv"
	"unicode"
	"unicode/utf8"

	"github.com/izpochat/server/models"
)

// Reactions (issue 23.4): any reader of a room may react to a live message of
// it, once per emoji. Each change is stored first, then published through the
// hub as reaction_added / reaction_removed, so every door on every instance
// delivers it once (and every instance drops the room's rendered history page,
// history_page.go).
const (
	// EventReactionAdded and EventReactionRemoved: Event.Reaction says which.
	EventReactionAdded   EventType = "reaction_added"
	EventReactionRemoved EventType = "reaction_removed"
)

// Reaction is one emoji's reactions to a message as a reader sees them: how
// many, and whether the reader is among them.
type Reaction struct {
	Emoji string `json:"emoji"`
	Count int64  `json:"count"`
	Me    bool   `json:"me"`
}

// ReactionChange is what every door tells of a reaction added or removed.
type ReactionChange struct {
	Type      string `json:"type,omitempty"` // the event's name on the raw WebSocket only
	MessageID int64  `json:"message_id"`
	RoomID    int64  `json:"room_id"`
	Emoji     string `json:"emoji"`
	UserID    int64  `json:"user_id"`
}

// MessageReactions answers a reaction request: the message's reactions after
// it, as the caller sees them.
type MessageReactions struct {
	MessageID int64      `json:"message_id"`
	RoomID    int64      `json:"room_id"`
	Reactions []Reaction `json:"reactions"`
}

// An emoji is bounded by length, not checked against a list of allowed emoji:
// Unicode adds emoji every year and each client brings its own picker (and
// may send short names like ":party:"), so a list here would refuse what
// clients offer until the server is updated. The bound keeps rows and pages
// small: 64 bytes holds the longest emoji sequences (a kiss with two skin
// tones is 35), 16 runes a short name. It must be one visible token: no
// controls, no whitespace, no '/' (DELETE names it in the path), and at least
// one character that is not a joiner, variation selector or tag.
const (
	maxEmojiBytes = 64
	maxEmojiRunes = 16
	// maxEmojiPerMessage bounds the different emoji one message shows (a new
	// one beyond it is refused; more people may still use those there).
	maxEmojiPerMessage = 32
)

// normalizeEmoji checks an emoji as given (it is not trimmed: " x" is refused).
func normalizeEmoji(emoji string) (string, error) {
	if emoji == "" {
		return "", Invalid("emoji is required")
	}
	if !utf8.ValidString(emoji) {
		return "", Invalid("emoji must be valid UTF-8")
	}
	if len(emoji) > maxEmojiBytes || utf8.RuneCountInString(emoji) > maxEmojiRunes {
		return "", Invalid("emoji is too long (at most %d bytes and %d characters)", maxEmojiBytes, maxEmojiRunes)
	}
	visible := false
	for _, r := range emoji {
		switch {
		case unicode.IsControl(r) || unicode.IsSpace(r) || r == '/' || r == '\u2028' || r == '\u2029':
			return "", Invalid("emoji must not contain whitespace, control characters or '/'")
		case !unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf):
			visible = true
		}
	}
	if !visible {
		return "", Invalid("emoji must contain a visible character")
	}
	return emoji, nil
}

// reactableMessage checks a reaction request: the limiter first (reactions
// spend the posting allowance: each is a stored change fanned out like a
// message), then the emoji, then a live message of a room the actor may read.
func (s *Service) reactableMessage(ctx context.Context, a Actor, messageID int64, emoji string) (*models.MessageRow, string, error) {
	if err := s.limitPost(ctx, a); err != nil {
		return nil, "", err
	}
	emoji, err := normalizeEmoji(emoji)
	if err != nil {
		return nil, "", err
	}
	row, _, err := s.readableMessage(ctx, a, messageID)
	if err != nil {
		return nil, "", err
	}
	return row, emoji, nil
}

// AddReaction adds the actor's emoji to a message. Adding it again changes
// nothing and publishes nothing; the answer is the same.
func (s *Service) AddReaction(ctx context.Context, a Actor, messageID int64, emoji string) (MessageReactions, error) {
	row, emoji, err := s.reactableMessage(ctx, a, messageID, emoji)
	if err != nil {
		return MessageReactions{}, err
	}
	current, err := s.reactionsOf(ctx, a.ID, []int64{row.ID})
	if err != nil {
		return MessageReactions{}, err
	}
	if list := current[row.ID]; len(list) >= maxEmojiPerMessage && !hasEmoji(list, emoji) {
		return MessageReactions{}, Invalid("a message shows at most %d different emoji", maxEmojiPerMessage)
	}
	at := Now()
	added, err := s.store.AddReaction(ctx, row.ID, a.ID, emoji, at)
	if errors.Is(err, models.ErrNotFound) {
		return MessageReactions{}, NotFound("message not found") // deleted meanwhile
	}
	if err != nil {
		return MessageReactions{}, internal("add reaction", err)
	}
	if added {
		s.publish(ctx, Event{Type: EventReactionAdded, RoomID: row.RoomID, User: a.Ref(), At: at,
			Reaction: &ReactionChange{MessageID: row.ID, RoomID: row.RoomID, Emoji: emoji, UserID: a.ID}})
	}
	return s.messageReactions(ctx, a, row)
}

// RemoveReaction takes the actor's emoji off a message. Removing one that is
// not there changes nothing and publishes nothing.
func (s *Service) RemoveReaction(ctx context.Context, a Actor, messageID int64, emoji string) (MessageReactions, error) {
	row, emoji, err := s.reactableMessage(ctx, a, messageID, emoji)
	if err != nil {
		return MessageReactions{}, err
	}
	removed, err := s.store.RemoveReaction(ctx, row.ID, a.ID, emoji)
	if err != nil {
		return MessageReactions{}, internal("remove reaction", err)
	}
	if removed {
		s.publish(ctx, Event{Type: EventReactionRemoved, RoomID: row.RoomID, User: a.Ref(),
			Reaction: &ReactionChange{MessageID: row.ID, RoomID: row.RoomID, Emoji: emoji, UserID: a.ID}})
	}
	return s.messageReactions(ctx, a, row)
}

func (s *Service) messageReactions(ctx context.Context, a Actor, row *models.MessageRow) (MessageReactions, error) {
	byMessage, err := s.reactionsOf(ctx, a.ID, []int64{row.ID})
	if err != nil {
		return MessageReactions{}, err
	}
	list := byMessage[row.ID]
	if list == nil {
		list = []Reaction{}
	}
	return MessageReactions{MessageID: row.ID, RoomID: row.RoomID, Reactions: list}, nil
}

func hasEmoji(list []Reaction, emoji string) bool {
	for _, r := range list {
		if r.Emoji == emoji {
			return true
		}
	}
	return false
}

// reactionsOf loads the reactions of messages as viewerID sees them, by message.
func (s *Service) reactionsOf(ctx context.Context, viewerID int64, ids []int64) (map[int64][]Reaction, error) {
	rows, err := s.store.ReactionCounts(ctx, ids, viewerID)
	if err != nil {
		return nil, internal("reactions", err)
	}
	out := make(map[int64][]Reaction)
	for _, r := range rows {
		out[r.MessageID] = append(out[r.MessageID], Reaction{Emoji: r.Emoji, Count: r.Count, Me: r.Me})
	}
	return out, nil
}

// fillReactions sets reactions on a page's live messages as viewerID sees
// them (a deleted message shows none). reacted tells whether the viewer has a
// reaction on the page: only then does the page differ from what any other
// reader without one gets (see HistoryPage). One query for the page; none more
// when it has no reactions.
func (s *Service) fillReactions(ctx context.Context, viewerID int64, msgs []Message) (reacted bool, err error) {
	ids := make([]int64, 0, len(msgs))
	for i := range msgs {
		if msgs[i].DeletedAt == nil {
			ids = append(ids, msgs[i].ID)
		}
	}
	byMessage, err := s.reactionsOf(ctx, viewerID, ids)
	if err != nil || len(byMessage) == 0 {
		return false, err
	}
	for i := range msgs {
		if list, ok := byMessage[msgs[i].ID]; ok && msgs[i].DeletedAt == nil {
			msgs[i].Reactions = list
			for _, r := range list {
				reacted = reacted || r.Me
			}
		}
	}
	return reacted, nil
}

// pageReactors lists who reacted on a page (nil when nobody did): a kept page
// is served only to readers not among them.
func (s *Service) pageReactors(ctx context.Context, msgs []Message) (map[int64]struct{}, error) {
	var ids []int64
	for i := range msgs {
		if len(msgs[i].Reactions) > 0 {
			ids = append(ids, msgs[i].ID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	users, err := s.store.Reactors(ctx, ids)
	if err != nil {
		return nil, internal("reactors", err)
	}
	set := make(map[int64]struct{}, len(users))
	for _, u := range users {
		set[u] = struct{}{}
	}
	return set, nil
}

// appendReactionsJSON appends reactions as json.Marshal encodes the field
// (omitempty: a message without reactions, every new one included, carries
// none of it, so live frames and pages without reactions do not grow).
func (m *Message) appendReactionsJSON(b []byte) []byte {
	if len(m.Reactions) == 0 {
		return b
	}
	b = append(b, `,"reactions":[`...)
	for i, r := range m.Reactions {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"emoji":`...)
		b = AppendJSONString(b, r.Emoji)
		b = append(b, `,"count":`...)
		b = strconv.AppendInt(b, r.Count, 10)
		if r.Me {
			b = append(b, `,"me":true}`...)
		} else {
			b = append(b, `,"me":false}`...)
		}
	}
	return append(b, ']')
}

// reactionsJSONSize is about what appendReactionsJSON adds.
func (m *Message) reactionsJSONSize() int {
	n := 0
	for _, r := range m.Reactions {
		n += 48 + 2*len(r.Emoji)
	}
	return n
}
