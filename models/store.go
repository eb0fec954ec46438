package models

import (
	"context"
	"errors"
	"fmt"
	"math"

	"gorm.io/gorm"
)

// Errors the domain maps to client answers.
var (
	ErrNotFound  = errors.New("not found")
	ErrDuplicate = errors.New("duplicate")
)

// MaxID is the largest id a row can have: the Flask schema's ids are INTEGER
// (SERIAL), and PostgreSQL drivers refuse to send a larger value for such a
// column, so larger ids are answered as missing before they reach the database.
const MaxID = math.MaxInt32

// validID tells whether id can name a row.
func validID(id int64) bool { return id > 0 && id <= MaxID }

// Store runs the queries of the domain. It is safe for concurrent use.
type Store struct {
	db        *gorm.DB
	messages  *messageInserter
	userNames *userNameQuery
	nameWidth roomNameWidth
}

// NewStore wraps an open database.
func NewStore(db *gorm.DB) *Store {
	return &Store{db: db, messages: newMessageInserter(db.Dialector.Name()), userNames: &userNameQuery{dialect: db.Dialector.Name()}}
}

// DB exposes the handle for health checks and metrics.
func (s *Store) DB() *gorm.DB { return s.db }

// Dialect names the database ("sqlite" or "postgres").
func (s *Store) Dialect() string { return s.db.Dialector.Name() }

func (s *Store) with(ctx context.Context) *gorm.DB { return s.db.WithContext(ctx) }

// translate turns GORM's sentinel errors into ours and adds context.
func translate(err error, what string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gorm.ErrRecordNotFound):
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	case errors.Is(err, gorm.ErrDuplicatedKey):
		return fmt.Errorf("%s: %w", what, ErrDuplicate)
	default:
		return fmt.Errorf("%s: %w", what, err)
	}
}
