package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
)

// UserName is what authenticating a request needs of its user.
type UserName struct {
	ID       int64
	Username string
	FullName *string
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
		return "SELECT username, full_name FROM users WHERE id = $1"
	}
	return "SELECT username, full_name FROM users WHERE id = ?"
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
	switch err := row.Scan(&u.Username, &fullName); {
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
