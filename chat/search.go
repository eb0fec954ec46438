package chat

import (
	"context"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/izpochat/server/models"
)

// Message search (issue 23.7): the messages of the rooms the searcher may
// read, newest first, each with a highlighted excerpt. Which rooms are
// searched is the read rule's answer (mayRead), decided here on every search;
// the store only runs the full-text query over the rooms it is handed.

// SearchQuery is a search as a door received it. Zero values mean "not set".
type SearchQuery struct {
	Text     string // q: the words to find, all of them
	RoomID   int64  // only this room (0: every readable room)
	Limit    int    // at most this many (0: defaultSearchLimit)
	BeforeID int64  // only messages older than this id: the next page's cursor (0: the newest)
}

const (
	defaultSearchLimit = 20
	maxSearchLimit     = 50
	// maxSearchRunes and maxSearchTerms bound what a query makes the database
	// do: a sentence, not a document.
	maxSearchRunes = 200
	maxSearchTerms = 8
)

// SearchHit is a message found, with its excerpt: the part of its text around
// the first match, HTML-escaped, every match wrapped in <mark>…</mark>. The
// excerpt holds no other markup, so a client may set it as HTML; one that
// renders text splits on the two tags and unescapes the rest.
type SearchHit struct {
	Message
	Excerpt string `json:"excerpt"`
}

// MarshalJSON is the message's encoding (Message.AppendJSON) with excerpt
// added: embedding alone would take Message's MarshalJSON and drop it.
func (h SearchHit) MarshalJSON() ([]byte, error) {
	b := h.Message.AppendJSON(make([]byte, 0, h.jsonSize()+len(h.Excerpt)+16))
	b = append(b[:len(b)-1], `,"excerpt":`...)
	b = AppendJSONString(b, h.Excerpt)
	return append(b, '}'), nil
}

// normalize checks q and fills in its defaults; terms are the words to find.
func (q SearchQuery) normalize() (SearchQuery, []string, error) {
	if q.Limit < 0 || q.BeforeID < 0 || q.RoomID < 0 {
		return q, nil, Invalid("limit, before_id and room_id must not be negative")
	}
	if q.Limit == 0 {
		q.Limit = defaultSearchLimit
	}
	if q.Limit > maxSearchLimit {
		return q, nil, Invalid("limit must be at most %d", maxSearchLimit)
	}
	if !utf8.ValidString(q.Text) || strings.ContainsRune(q.Text, 0) {
		return q, nil, Invalid("q must be valid UTF-8 text")
	}
	q.Text = strings.TrimSpace(q.Text)
	if q.Text == "" {
		return q, nil, Invalid("q is required")
	}
	if n := utf8.RuneCountInString(q.Text); n > maxSearchRunes {
		return q, nil, Invalid("q is too long (%d characters, at most %d)", n, maxSearchRunes)
	}
	terms := searchTerms(q.Text)
	if len(terms) == 0 {
		return q, nil, Invalid("q must contain a word (letters or digits)")
	}
	if len(terms) > maxSearchTerms {
		return q, nil, Invalid("q has too many words (%d, at most %d)", len(terms), maxSearchTerms)
	}
	return q, terms, nil
}

// searchTerms splits text into its words as both indexes do (runs of letters,
// digits and combining marks), lower-cased, each once. Accents are kept: each
// database folds them as its index did.
func searchTerms(text string) []string {
	var terms []string
	seen := map[string]bool{}
	for _, span := range wordSpans(text) {
		t := strings.ToLower(text[span[0]:span[1]])
		if !seen[t] {
			seen[t] = true
			terms = append(terms, t)
		}
	}
	return terms
}

// wordSpans are the byte ranges of text's words.
func wordSpans(text string) [][2]int {
	var spans [][2]int
	start := -1
	for i, r := range text {
		word := unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
		switch {
		case word && start < 0:
			start = i
		case !word && start >= 0:
			spans = append(spans, [2]int{start, i})
			start = -1
		}
	}
	if start >= 0 {
		spans = append(spans, [2]int{start, len(text)})
	}
	return spans
}

// SearchMessages finds the messages of the rooms the actor may read (or of
// roomID alone, which the actor must be able to read) that contain every word
// of q.Text, newest first. Deleted messages are never found; an edited one by
// its current text only.
func (s *Service) SearchMessages(ctx context.Context, a Actor, q SearchQuery) ([]SearchHit, error) {
	if err := s.limit(ctx, s.rates.SearchPerUser, keySearchUser+strconv.FormatInt(a.ID, 10)); err != nil {
		return nil, err
	}
	q, terms, err := q.normalize()
	if err != nil {
		return nil, err
	}
	rooms, err := s.searchRooms(ctx, a, q.RoomID)
	if err != nil {
		return nil, err
	}
	hits := []SearchHit{}
	if len(rooms) == 0 {
		return hits, nil
	}
	ids := make([]int64, 0, len(rooms))
	for id := range rooms {
		ids = append(ids, id)
	}
	rows, err := s.store.SearchMessages(ctx, models.SearchQuery{Terms: terms, RoomIDs: ids, BeforeID: q.BeforeID, Limit: q.Limit})
	if err != nil {
		return nil, internal("search messages", err)
	}
	views := make([]Message, 0, len(rows))
	replyTo := make([]*int64, len(rows))
	for i := range rows {
		acc, ok := rooms[rows[i].RoomID]
		if !ok { // never: the store searched only these rooms
			continue
		}
		views = append(views, messageView(&rows[i].Message, rows[i].Username, rows[i].SenderFullName, acc.Name))
		replyTo[len(views)-1] = rows[i].ReplyToID
	}
	if err := s.fillReplies(ctx, views, replyTo[:len(views)]); err != nil {
		return nil, err
	}
	if err := s.fillMentions(ctx, views); err != nil {
		return nil, err
	}
	s.attachFiles(ctx, views)
	for i := range views {
		if rooms[views[i].RoomID].IsPrivate {
			s.linkMessages(ctx, views[i:i+1])
		}
		hits = append(hits, SearchHit{Message: views[i], Excerpt: highlight(views[i].Content, terms)})
	}
	return hits, nil
}

// searchRooms are the rooms a search covers, by id, with what the read rule
// knew of each: roomID alone when given (refused as reading it would be),
// else every room the actor may read.
func (s *Service) searchRooms(ctx context.Context, a Actor, roomID int64) (map[int64]models.RoomAccess, error) {
	if roomID > 0 {
		acc, err := s.roomAccess(ctx, a, roomID)
		if err != nil {
			return nil, err
		}
		return map[int64]models.RoomAccess{roomID: acc}, nil
	}
	candidates, err := s.store.SearchableRooms(ctx, a.ID)
	if err != nil {
		return nil, internal("searchable rooms", err)
	}
	out := make(map[int64]models.RoomAccess, len(candidates))
	for _, c := range candidates {
		acc := c.RoomAccess
		acc.IsPrivate = acc.IsPrivate || acc.Conversation
		if mayRead(acc) {
			out[c.ID] = acc
		}
	}
	return out, nil
}
