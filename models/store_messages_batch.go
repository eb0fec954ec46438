package models

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Message inserts bypass GORM: the writer stores every message through here, and
// GORM's reflection plus (on SQLite) a fresh parse of a statement whose text
// depends on the batch size cost more CPU than the insert itself.
const (
	insertChunk      = 500 // rows per statement: 7 parameters each stays far below every driver's limit
	maxPreparedBatch = 256 // batch sizes whose statement is kept prepared (the domain's writer batches up to 256)
)

// messageInserter writes message rows with a hand-written multi-row INSERT ...
// RETURNING id, keeping one prepared statement per batch size on SQLite.
type messageInserter struct {
	dialect string

	mu       sync.Mutex
	prepared map[int]*sql.Stmt
}

func newMessageInserter(dialect string) *messageInserter {
	return &messageInserter{dialect: dialect, prepared: make(map[int]*sql.Stmt)}
}

// insertSQL is the statement for n rows, with the dialect's placeholders.
func (m *messageInserter) insertSQL(n int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO messages (content, user_id, room_id, file_url, file_id, created_at, reply_to_id) VALUES ")
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		if m.dialect == "postgres" {
			p := i * 7
			fmt.Fprintf(&b, "($%d,$%d,$%d,$%d,$%d,$%d,$%d)", p+1, p+2, p+3, p+4, p+5, p+6, p+7)
		} else {
			b.WriteString("(?,?,?,?,?,?,?)")
		}
	}
	b.WriteString(" RETURNING id")
	return b.String()
}

// statement returns the prepared statement for n rows on SQLite, nil otherwise:
// pgx caches statements itself, and the Supabase pooler cannot keep them.
func (m *messageInserter) statement(ctx context.Context, db *sql.DB, n int) (*sql.Stmt, error) {
	if m.dialect != "sqlite" || n > maxPreparedBatch {
		return nil, nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if st, ok := m.prepared[n]; ok {
		return st, nil
	}
	st, err := db.PrepareContext(ctx, m.insertSQL(n))
	if err != nil {
		return nil, err
	}
	m.prepared[n] = st
	return st, nil
}

// insert stores msgs (at most insertChunk) in one statement and fills their ids.
func (m *messageInserter) insert(ctx context.Context, db *sql.DB, q queryer, msgs []*Message) error {
	args := make([]any, 0, len(msgs)*7)
	for _, msg := range msgs {
		args = append(args, msg.Content, msg.UserID, msg.RoomID, msg.FileURL, msg.FileID, msg.CreatedAt, msg.ReplyToID)
	}
	var (
		rows *sql.Rows
		err  error
	)
	if _, inTx := q.(*sql.Tx); !inTx {
		st, perr := m.statement(ctx, db, len(msgs))
		if perr != nil {
			return perr
		}
		if st != nil {
			rows, err = st.QueryContext(ctx, args...)
		}
	}
	if rows == nil && err == nil {
		rows, err = q.QueryContext(ctx, m.insertSQL(len(msgs)), args...)
	}
	if err != nil {
		return err
	}
	defer rows.Close()
	ids := make([]int64, 0, len(msgs))
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return err
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(ids) != len(msgs) {
		return fmt.Errorf("inserted %d messages, got %d ids", len(msgs), len(ids))
	}
	// Ids are drawn in VALUES order within one statement; RETURNING's row order is
	// not promised, so the ids are sorted before they are handed out in order.
	slices.Sort(ids)
	for i, msg := range msgs {
		msg.ID = ids[i]
	}
	return nil
}

// queryer is a *sql.DB or a *sql.Tx.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// InsertMessages stores several messages and fills their ids in order. The domain
// batches concurrent posts through it (group commit), which amortises a
// transaction over every message that arrived meanwhile. More than insertChunk
// messages go in one transaction of several statements.
func (s *Store) InsertMessages(ctx context.Context, msgs []*Message) error {
	if len(msgs) == 0 {
		return nil
	}
	db, err := s.db.DB()
	if err != nil {
		return fmt.Errorf("insert messages: %w", err)
	}
	if len(msgs) <= insertChunk {
		return translate(s.messages.insert(ctx, db, db, msgs), "insert messages")
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("insert messages: %w", err)
	}
	for chunk := range slices.Chunk(msgs, insertChunk) {
		if err := s.messages.insert(ctx, db, tx, chunk); err != nil {
			_ = tx.Rollback()
			return translate(err, "insert messages")
		}
	}
	return translate(tx.Commit(), "insert messages")
}
