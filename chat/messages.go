package chat

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/izpochat/server/models"
)

// HistoryQuery pages through a room's messages. Zero values mean "not set",
// except that Forward makes AfterID a cursor even at 0 ("after id 0": the first
// Limit messages).
type HistoryQuery struct {
	Limit    int
	BeforeID int64
	AfterID  int64
	Skip     int
	Forward  bool
	// IncludeDeleted lists deleted messages too, blanked (include_deleted=true).
	IncludeDeleted bool
}

const (
	defaultHistoryLimit = 100
	maxHistoryLimit     = 500
)

// normalize checks q and fills in its defaults.
func (q HistoryQuery) normalize() (HistoryQuery, error) {
	if q.Limit < 0 || q.Skip < 0 || q.BeforeID < 0 || q.AfterID < 0 {
		return q, Invalid("limit, skip, before_id and after_id must not be negative")
	}
	q.Forward = q.Forward || q.AfterID > 0
	if q.Limit == 0 {
		q.Limit = defaultHistoryLimit
	}
	if q.Limit > maxHistoryLimit {
		q.Limit = maxHistoryLimit
	}
	return q, nil
}

// History returns a room's messages oldest first: the newest Limit when no cursor,
// the first Limit after AfterID (with Forward or AfterID > 0), or those before BeforeID.
func (s *Service) History(ctx context.Context, a Actor, roomID int64, q HistoryQuery) ([]Message, error) {
	q, err := q.normalize()
	if err != nil {
		return nil, err
	}
	acc, err := s.roomAccess(ctx, a, roomID)
	if err != nil {
		return nil, err
	}
	msgs, _, err := s.historyViews(ctx, acc, roomID, q)
	if err != nil {
		return nil, err
	}
	if _, err := s.fillReactions(ctx, a.ID, msgs); err != nil {
		return nil, err
	}
	return msgs, nil
}

// historyViews reads a page for a reader the access rule let in. complete is
// false when the page lacks parts it should have (its files' objects).
func (s *Service) historyViews(ctx context.Context, acc models.RoomAccess, roomID int64, q HistoryQuery) (msgs []Message, complete bool, err error) {
	rows, err := s.store.History(ctx, roomID, models.HistoryQuery(q))
	if err != nil {
		return nil, false, internal("history", err)
	}
	out := make([]Message, 0, len(rows))
	var replyTo []*int64
	for i := range rows {
		out = append(out, messageView(&rows[i].Message, rows[i].Username, rows[i].SenderFullName, acc.Name))
		if rows[i].ReplyToID != nil && replyTo == nil {
			replyTo = make([]*int64, len(rows))
		}
		if replyTo != nil {
			replyTo[i] = rows[i].ReplyToID
		}
	}
	if err := s.fillReplies(ctx, out, replyTo); err != nil {
		return nil, false, err
	}
	if err := s.fillMentions(ctx, out); err != nil {
		return nil, false, err
	}
	complete = s.attachFiles(ctx, out)
	if acc.IsPrivate {
		s.linkMessages(ctx, out)
	}
	return out, complete, nil
}

// PostInput is a message to store.
type PostInput struct {
	Content string
	FileID  *int64
	// ReplyToID is the message of the same room this one answers (nil: none).
	ReplyToID *int64
}

// normalizeContent trims content and checks it: valid UTF-8, no NUL, at most max
// characters, and not empty unless a file is attached.
func normalizeContent(content string, max int, hasFile bool) (string, error) {
	if !utf8.ValidString(content) {
		return "", Invalid("content must be valid UTF-8")
	}
	if strings.ContainsRune(content, 0) {
		return "", Invalid("content must not contain NUL characters")
	}
	content = strings.TrimSpace(content)
	if content == "" && !hasFile {
		return "", Invalid("content is required")
	}
	if n := utf8.RuneCountInString(content); n > max {
		return "", Invalid("content is too long (%d characters, at most %d)", n, max)
	}
	return content, nil
}

// PostMessage stores a message from the actor in a room they may post in, then
// hands it to the fan-out for every door. This is the one path every door uses.
func (s *Service) PostMessage(ctx context.Context, a Actor, roomID int64, in PostInput) (Message, error) {
	if err := s.limitPost(ctx, a); err != nil {
		return Message{}, err
	}
	content, err := normalizeContent(in.Content, s.limits.MaxMessageLength, in.FileID != nil)
	if err != nil {
		return Message{}, err
	}
	acc, err := s.roomAccess(ctx, a, roomID)
	if err != nil {
		return Message{}, err
	}
	mentions, err := s.mentionsIn(ctx, roomID, acc.IsPrivate, content)
	if err != nil {
		return Message{}, err
	}
	m := &models.Message{Content: content, UserID: a.ID, RoomID: roomID, CreatedAt: Now(), Mentions: mentionIDs(mentions)}
	var replyTo *ReplyRef
	if in.ReplyToID != nil {
		if replyTo, err = s.replyTarget(ctx, roomID, *in.ReplyToID); err != nil {
			return Message{}, err
		}
		m.ReplyToID = &replyTo.ID
	}
	var file *models.FileUpload
	if in.FileID != nil {
		if *in.FileID > models.MaxID {
			return Message{}, NotFound("file not found")
		}
		file, err = s.attachableFile(ctx, a, roomID, *in.FileID)
		if err != nil {
			return Message{}, err
		}
		m.FileID = &file.ID
		m.FileURL = &file.FileURL
		if m.Content == "" {
			m.Content = fileMessageContent(file.OriginalFilename)
		}
	}
	// A private room's file is shown through a signed link, made before the
	// message is queued so the writer never waits on storage.
	var fileLink *string
	if file != nil && acc.IsPrivate {
		l := s.signLink(ctx, file.FileURL)
		fileLink = &l
	}
	var view Message
	err = s.writer.submit(ctx, m, func(m *models.Message) Event {
		view = messageView(m, a.Username, &a.FullName, acc.Name)
		view.ReplyTo = replyTo
		if len(m.Mentions) > 0 { // stored with it (sequencer.storeMentions)
			view.Mentions = mentions
		}
		if file != nil {
			fv := fileView(file)
			fv.RoomID = &roomID
			if fileLink != nil {
				view.FileURL, fv.FileURL, fv.PublicURL = fileLink, *fileLink, *fileLink
			}
			view.File = &fv
		}
		return Event{Type: EventMessage, RoomID: roomID, User: a.Ref(), At: m.CreatedAt, Message: &view}
	})
	if err != nil {
		if KindOf(err) == KindUnavailable {
			return Message{}, err
		}
		// The room may be gone since the access check (its rows cascade away).
		if _, aerr := s.store.Access(ctx, roomID, a.ID); errors.Is(aerr, models.ErrNotFound) {
			return Message{}, NotFound("room not found")
		}
		return Message{}, internal("store message", err)
	}
	s.notifyMentions(ctx, a, &view, nil)
	if file != nil && file.RoomID == nil {
		if err := s.store.AttachFile(ctx, file.ID, roomID); err != nil {
			s.log.WarnContext(ctx, "attach file to room", "file_id", file.ID, "room_id", roomID, "err", err)
		}
	}
	return view, nil
}

// fileMessageContent is the text of a message that only carries a file, as the
// Flask backend wrote it.
func fileMessageContent(name string) string { return "📎 Archivo: " + name }
