package models

import (
	"context"
	"strconv"
	"strings"

	"gorm.io/gorm"
)

// Full-text search of messages (issue 23.7). The indexes are migration 00006:
// a generated tsvector column with a GIN index on PostgreSQL, an FTS5 table kept by triggers on
// SQLite; both are kept in step by the writes themselves, so the message
// writer's INSERT is unchanged. Which rooms may be searched is the domain's
// decision: it hands the room ids here.

// pgAccentsFrom and pgAccentsTo fold Spanish's accents of lower-cased text,
// as migration 00006's column does (translate(); why only these: there).
const (
	pgAccentsFrom = "áéíóúüñ"
	pgAccentsTo   = "aeiouun"
)

// SearchQuery is a search the domain has checked: Terms are words (letters
// and digits only, at least one), all of which a message must contain;
// RoomIDs are the rooms the searcher may read (none: nothing is found).
type SearchQuery struct {
	Terms    []string
	RoomIDs  []int64
	BeforeID int64 // only messages with a smaller id (0: none)
	Limit    int
}

// SearchRoom is a room a user might search, with what the read rule needs.
type SearchRoom struct {
	ID int64
	RoomAccess
}

// SearchableRooms lists the rooms userID might read: every room not flagged
// private, and every room userID is a member of. The domain applies the read
// rule to them (a conversation is private whatever its flag).
func (s *Store) SearchableRooms(ctx context.Context, userID int64) ([]SearchRoom, error) {
	var rows []struct {
		ID           int64
		Name         string
		IsPrivate    bool
		CreatedBy    int64
		Conversation bool
		Member       bool
	}
	err := s.with(ctx).Raw(`SELECT r.id, r.name, COALESCE(r.is_private, ?) AS is_private,
		COALESCE(r.created_by, 0) AS created_by, r.dm_key IS NOT NULL AS conversation, m.user_id IS NOT NULL AS member
		FROM rooms r LEFT JOIN room_members m ON m.room_id = r.id AND m.user_id = ?
		WHERE r.is_private IS NULL OR r.is_private = ? OR m.user_id IS NOT NULL`, false, userID, false).
		Scan(&rows).Error
	if err != nil {
		return nil, translate(err, "searchable rooms")
	}
	out := make([]SearchRoom, len(rows))
	for i, r := range rows {
		out[i] = SearchRoom{ID: r.ID, RoomAccess: RoomAccess{Name: r.Name, IsPrivate: r.IsPrivate,
			CreatedBy: r.CreatedBy, Member: r.Member, Conversation: r.Conversation}}
	}
	return out, nil
}

// SearchMessages returns the live (not deleted) messages of q.RoomIDs that
// contain every term, newest first, with their senders' names. An edited
// message is found by its current text only: the index follows the content.
func (s *Store) SearchMessages(ctx context.Context, q SearchQuery) ([]MessageRow, error) {
	if len(q.Terms) == 0 || len(q.RoomIDs) == 0 || q.Limit <= 0 {
		return nil, nil
	}
	beforeID := q.BeforeID
	if beforeID <= 0 || beforeID > MaxID {
		beforeID = MaxID + 1
	}
	// The room ids travel as one parameter whatever their number (an array
	// literal on PostgreSQL, a JSON array on SQLite), below every driver's
	// parameter limit.
	ids := make([]string, len(q.RoomIDs))
	for i, id := range q.RoomIDs {
		ids[i] = strconv.FormatInt(id, 10)
	}
	var (
		sql  string
		args []any
	)
	if s.Dialect() == "sqlite" {
		// CROSS JOIN keeps the FTS table outermost: its rowids (the message
		// ids) come newest first from the index, and LIMIT stops the walk.
		sql = `SELECT messages.id, messages.content, messages.user_id, messages.file_url, messages.file_id, ` +
			sqliteCreatedAt + `, ` + editColumns("sqlite") + `, messages.room_id, users.username, users.full_name
			FROM messages_fts CROSS JOIN messages ON messages.id = messages_fts.rowid
			JOIN users ON users.id = messages.user_id
			WHERE messages_fts MATCH ? AND messages_fts.rowid < ?
			AND messages.room_id IN (SELECT value FROM json_each(?)) AND messages.deleted_at IS NULL
			ORDER BY messages_fts.rowid DESC LIMIT ?`
		args = []any{fts5Match(q.Terms), beforeID, "[" + strings.Join(ids, ",") + "]", q.Limit}
	} else {
		sql = `SELECT messages.id, messages.content, messages.user_id, messages.file_url, messages.file_id,
			messages.created_at, ` + editColumns("postgres") + `, messages.room_id, users.username, users.full_name
			FROM messages JOIN users ON users.id = messages.user_id
			WHERE messages.search_document @@ plainto_tsquery('simple'::regconfig, translate(lower(?), '` +
			pgAccentsFrom + `', '` + pgAccentsTo + `'))
			AND messages.id < ? AND messages.room_id = ANY(?::bigint[]) AND messages.deleted_at IS NULL
			ORDER BY messages.id DESC LIMIT ?`
		args = []any{strings.Join(q.Terms, " "), beforeID, "{" + strings.Join(ids, ",") + "}", q.Limit}
	}
	if s.Dialect() == "sqlite" {
		return scanSearch(s.with(ctx), sql, args, q.Limit)
	}
	// A plan for the words asked, every time: a generic plan of the cached
	// statement cannot tell a rare word (the GIN index) from a common one
	// (walking ids backwards), and picked wrong it cost 70 ms on 20,000
	// messages (bench/search). SET LOCAL holds for this transaction only, so
	// the Supabase transaction pooler is fine with it.
	var rows []MessageRow
	err := s.with(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("SET LOCAL plan_cache_mode = force_custom_plan").Error; err != nil {
			return err
		}
		var err error
		rows, err = scanSearch(tx, sql, args, q.Limit)
		return err
	})
	return rows, translate(err, "search messages")
}

// scanSearch runs a search statement and scans its rows.
func scanSearch(db *gorm.DB, sql string, args []any, limit int) ([]MessageRow, error) {
	rs, err := db.Raw(sql, args...).Rows()
	if err != nil {
		return nil, translate(err, "search messages")
	}
	defer rs.Close()
	rows := make([]MessageRow, 0, limit)
	for rs.Next() {
		var r MessageRow
		if err := rs.Scan(&r.ID, &r.Content, &r.UserID, &r.FileURL, &r.FileID, timeScanner{&r.CreatedAt},
			nullTimeScanner{&r.EditedAt}, nullTimeScanner{&r.DeletedAt}, &r.ReplyToID, &r.RoomID,
			&r.Username, &r.SenderFullName); err != nil {
			return nil, translate(err, "search messages")
		}
		rows = append(rows, r)
	}
	return rows, translate(rs.Err(), "search messages")
}

// fts5Match is an FTS5 query for messages containing every term: each term a
// quoted string (the domain's terms hold no quotes), side by side (AND).
func fts5Match(terms []string) string {
	var b strings.Builder
	for i, t := range terms {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(`"` + strings.ReplaceAll(t, `"`, `""`) + `"`)
	}
	return b.String()
}
