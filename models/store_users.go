package models

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// CreateUser inserts u; a taken username or email is ErrDuplicate (the unique
// constraints decide, so two simultaneous registrations cannot both win).
func (s *Store) CreateUser(ctx context.Context, u *User) error {
	return translate(s.with(ctx).Create(u).Error, "create user")
}

// UserByID loads one user.
func (s *Store) UserByID(ctx context.Context, id int64) (*User, error) {
	var u User
	if !validID(id) {
		return &u, fmt.Errorf("user by id: %w", ErrNotFound)
	}
	err := s.with(ctx).Where("id = ?", id).Take(&u).Error
	return &u, translate(err, "user by id")
}

// UserByUsername matches the username exactly.
func (s *Store) UserByUsername(ctx context.Context, username string) (*User, error) {
	var u User
	err := s.with(ctx).Where("username = ?", username).Take(&u).Error
	return &u, translate(err, "user by username")
}

// UserByEmail matches the email case-insensitively (through the LOWER(email) index). A
// database taken over may hold case variants of one email (see migrate_email.go): then the
// row spelled exactly as given wins, else the oldest.
func (s *Store) UserByEmail(ctx context.Context, email string) (*User, error) {
	var u User
	err := userByEmail(s.with(ctx), email).Take(&u).Error
	return &u, translate(err, "user by email")
}

func userByEmail(db *gorm.DB, email string) *gorm.DB {
	return db.Model(&User{}).Where("LOWER(email) = LOWER(?)", email).
		Order(clause.OrderBy{Expression: clause.Expr{SQL: "CASE WHEN email = ? THEN 0 ELSE 1 END, id", Vars: []any{email}, WithoutParentheses: true}})
}

// UsernameTaken and EmailTaken tell which constraint a duplicate hit.
func (s *Store) UsernameTaken(ctx context.Context, username string, exceptID int64) (bool, error) {
	var n int64
	err := s.with(ctx).Model(&User{}).Where("username = ? AND id <> ?", username, exceptID).Count(&n).Error
	return n > 0, translate(err, "username taken")
}

func (s *Store) EmailTaken(ctx context.Context, email string, exceptID int64) (bool, error) {
	var n int64
	err := s.with(ctx).Model(&User{}).Where("LOWER(email) = LOWER(?) AND id <> ?", email, exceptID).Count(&n).Error
	return n > 0, translate(err, "email taken")
}

// UpdateUser writes the given columns of user id.
func (s *Store) UpdateUser(ctx context.Context, id int64, columns map[string]any) error {
	if len(columns) == 0 {
		return nil
	}
	return translate(s.with(ctx).Model(&User{}).Where("id = ?", id).Updates(columns).Error, "update user")
}

// ListUsers pages through users by id.
func (s *Store) ListUsers(ctx context.Context, skip, limit int) ([]User, error) {
	var users []User
	err := s.with(ctx).Order("id").Offset(skip).Limit(limit).Find(&users).Error
	return users, translate(err, "list users")
}

// SearchUsers finds up to limit users whose username contains query, ignoring case.
func (s *Store) SearchUsers(ctx context.Context, query string, exceptID int64, limit int) ([]User, error) {
	var users []User
	pattern := "%" + escapeLike(strings.ToLower(query)) + "%"
	err := s.with(ctx).
		Where("LOWER(username) LIKE ? ESCAPE '\\' AND id <> ?", pattern, exceptID).
		Order("username").Limit(limit).Find(&users).Error
	return users, translate(err, "search users")
}

// UsersByIDs loads several users at once.
func (s *Store) UsersByIDs(ctx context.Context, ids []int64) ([]User, error) {
	var users []User
	if len(ids) == 0 {
		return users, nil
	}
	err := s.with(ctx).Where("id IN ?", ids).Order("id").Find(&users).Error
	return users, translate(err, "users by ids")
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// SetPasswordHash adds a new password hash to the columns of an UpdateUser, and the move to
// the user's next token generation that ends every token issued before it.
func SetPasswordHash(columns map[string]any, hash string) {
	columns["password_hash"] = hash
	columns["token_generation"] = gorm.Expr("token_generation + 1")
}
