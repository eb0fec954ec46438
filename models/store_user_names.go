package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// UserName is what authenticating a request needs of its user.
type UserName struct {
	ID       int64
	Username string
	FullName *string
	// TokenGeneration is the generation a token must carry (see User.TokenGeneration).
	TokenGeneration int64
}

// userNameQuery reads a UserName without GORM: every authenticated request and
// socket connection runs it, and GORM's statement building and the created_at
// parsing of a whole User row were a tenth of a history request's CPU. On
// SQLite the statement is prepared once (pgx caches statements itself, and the
// Supabase pooler cannot keep them).
type userNameQuery struct {
	dialect string

	mu       sync.Mutex
	prepared *sql.Stmt
}

func (q *userNameQuery) sql() string {
	if q.dialect == "postgres" {
		return "SELECT username, full_name, token_generation FROM users WHERE id = $1"
	}
	return "SELECT username, full_name, token_generation FROM users WHERE id = ?"
}

func (q *userNameQuery) row(ctx context.Context, db *sql.DB, id int64) (*sql.Row, error) {
	if q.dialect != "sqlite" {
		return db.QueryRowContext(ctx, q.sql(), id), nil
	}
	q.mu.Lock()
	if q.prepared == nil {
		st, err := db.PrepareContext(ctx, q.sql())
		if err != nil {
			q.mu.Unlock()
			return nil, err
		}
		q.prepared = st
	}
	st := q.prepared
	q.mu.Unlock()
	return st.QueryRowContext(ctx, id), nil
}

// UserNameByID loads the name of user id; ErrNotFound when there is none.
func (s *Store) UserNameByID(ctx context.Context, id int64) (UserName, error) {
	if !validID(id) {
		return UserName{}, fmt.Errorf("user name by id: %w", ErrNotFound)
	}
	db, err := s.db.DB()
	if err != nil {
		return UserName{}, fmt.Errorf("user name by id: %w", err)
	}
	row, err := s.userNames.row(ctx, db, id)
	if err != nil {
		return UserName{}, fmt.Errorf("user name by id: %w", err)
	}
	u := UserName{ID: id}
	var fullName sql.NullString
	switch err := row.Scan(&u.Username, &fullName, &u.TokenGeneration); {
	case errors.Is(err, sql.ErrNoRows):
		return UserName{}, fmt.Errorf("user name by id: %w", ErrNotFound)
	case err != nil:
		return UserName{}, fmt.Errorf("user name by id: %w", err)
	}
	if fullName.Valid {
		u.FullName = &fullName.String
	}
	return u, nil
}

// fillSenderNames sets each row's sender name from one query over the page's
// distinct senders (see historyColumns). A sender deleted since the page was
// read keeps an empty name; nothing in the API deletes users.
func (s *Store) fillSenderNames(ctx context.Context, rows []MessageRow) error {
	if len(rows) == 0 {
		return nil
	}
	ids := make([]any, 0, 4)
	seen := make(map[int64]int, 4) // sender id -> index in names
	for _, r := range rows {
		if _, ok := seen[r.UserID]; !ok {
			seen[r.UserID] = len(ids)
			ids = append(ids, r.UserID)
		}
	}
	db, err := s.db.DB()
	if err != nil {
		return fmt.Errorf("sender names: %w", err)
	}
	postgres := s.Dialect() == "postgres"
	var query strings.Builder
	query.WriteString("SELECT id, username, full_name FROM users WHERE id IN (")
	for i := range ids {
		if i > 0 {
			query.WriteByte(',')
		}
		if postgres {
			query.WriteString("$" + strconv.Itoa(i+1))
		} else {
			query.WriteByte('?')
		}
	}
	query.WriteByte(')')
	rs, err := db.QueryContext(ctx, query.String(), ids...)
	if err != nil {
		return fmt.Errorf("sender names: %w", err)
	}
	defer rs.Close()
	names := make([]UserName, len(ids))
	for rs.Next() {
		var u UserName
		var fullName sql.NullString
		if err := rs.Scan(&u.ID, &u.Username, &fullName); err != nil {
			return fmt.Errorf("sender names: %w", err)
		}
		if fullName.Valid {
			u.FullName = &fullName.String
		}
		if i, ok := seen[u.ID]; ok {
			names[i] = u
		}
	}
	if err := rs.Err(); err != nil {
		return fmt.Errorf("sender names: %w", err)
	}
	for i := range rows {
		u := names[seen[rows[i].UserID]]
		rows[i].Username, rows[i].SenderFullName = u.Username, u.FullName
	}
	return nil
}
