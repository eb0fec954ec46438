package chat

import (
	"context"
	"errors"
	"net/mail"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/izpochat/server/auth"
	"github.com/izpochat/server/models"
)

// Actor is the authenticated user a request or connection acts for.
type Actor struct {
	ID       int64
	Username string
	FullName string
}

// Ref is the actor as it appears inside other objects.
func (a Actor) Ref() UserRef { return UserRef{ID: a.ID, Username: a.Username, FullName: a.FullName} }

// Session is what register and login answer.
type Session struct {
	Token string
	User  UserSelf
}

// RegisterInput is a new account.
type RegisterInput struct {
	Username string
	Email    string
	Password string
	FullName string
	ClientIP string // for rate limits; "" when unknown
}

// LoginInput identifies by email or username.
type LoginInput struct {
	Email    string
	Username string
	Password string
	ClientIP string // for rate limits; "" when unknown
}

// UpdateUserInput changes the given fields (nil: unchanged).
type UpdateUserInput struct {
	Username *string
	Email    *string
	FullName *string
	Password *string
}

var usernamePattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{3,50}$`)

func validateUsername(u string) error {
	if !usernamePattern.MatchString(u) {
		return Invalid("username must be 3-50 characters of letters, digits, '_', '.' or '-'")
	}
	return nil
}

func validateEmail(e string) error {
	if len(e) == 0 || len(e) > 120 {
		return Invalid("email must be a valid address of at most 120 characters")
	}
	addr, err := mail.ParseAddress(e)
	if err != nil || addr.Address != e || !strings.Contains(e[strings.LastIndexByte(e, '@')+1:], ".") {
		return Invalid("email must be a valid address of at most 120 characters")
	}
	return nil
}

func validatePassword(p string) error {
	if n := utf8.RuneCountInString(p); n < 6 || n > 128 || !utf8.ValidString(p) {
		return Invalid("password must be 6-128 characters")
	}
	return nil
}

func validateFullName(n string) error {
	if !utf8.ValidString(n) || utf8.RuneCountInString(n) > 100 {
		return Invalid("full_name must be at most 100 characters")
	}
	return nil
}

// Register creates an account and signs it in.
func (s *Service) Register(ctx context.Context, in RegisterInput) (Session, error) {
	if err := s.limitRegister(ctx, in); err != nil {
		return Session{}, err
	}
	in.Username = strings.TrimSpace(in.Username)
	in.Email = strings.TrimSpace(in.Email)
	in.FullName = strings.TrimSpace(in.FullName)
	for _, err := range []error{validateUsername(in.Username), validateEmail(in.Email), validatePassword(in.Password), validateFullName(in.FullName)} {
		if err != nil {
			return Session{}, err
		}
	}
	hash, err := auth.HashPassword(in.Password)
	if err != nil {
		return Session{}, internal("hash password", err)
	}
	u := &models.User{Username: in.Username, Email: in.Email, PasswordHash: hash, CreatedAt: Now()}
	if in.FullName != "" {
		u.FullName = &in.FullName
	}
	if err := s.store.CreateUser(ctx, u); err != nil {
		if errors.Is(err, models.ErrDuplicate) {
			return Session{}, s.duplicateUserError(ctx, in.Username, 0)
		}
		return Session{}, internal("register", err)
	}
	return s.session(u)
}

// duplicateUserError says which of username or email is taken.
func (s *Service) duplicateUserError(ctx context.Context, username string, exceptID int64) error {
	if taken, err := s.store.UsernameTaken(ctx, username, exceptID); err == nil && taken {
		return Conflict("username already taken")
	}
	return Conflict("email already registered")
}

// Login checks credentials; an old Werkzeug hash is upgraded on success.
func (s *Service) Login(ctx context.Context, in LoginInput) (Session, error) {
	if in.Password == "" || (in.Email == "" && in.Username == "") {
		return Session{}, Invalid("email (or username) and password are required")
	}
	if err := s.limitLogin(ctx, in); err != nil {
		return Session{}, err
	}
	var (
		u   *models.User
		err error
	)
	if in.Email != "" {
		u, err = s.store.UserByEmail(ctx, strings.TrimSpace(in.Email))
	} else {
		u, err = s.store.UserByUsername(ctx, strings.TrimSpace(in.Username))
	}
	if errors.Is(err, models.ErrNotFound) {
		return Session{}, Unauthorized("invalid credentials")
	}
	if err != nil {
		return Session{}, internal("login", err)
	}
	ok, upgrade, verr := auth.VerifyPassword(u.PasswordHash, in.Password)
	if verr != nil {
		s.log.WarnContext(ctx, "unreadable password hash", "user_id", u.ID, "err", verr)
	}
	if !ok {
		return Session{}, Unauthorized("invalid credentials")
	}
	if upgrade {
		if hash, err := auth.HashPassword(in.Password); err == nil {
			if err := s.store.UpdateUser(ctx, u.ID, map[string]any{"password_hash": hash}); err != nil {
				s.log.WarnContext(ctx, "password hash upgrade failed", "user_id", u.ID, "err", err)
			}
		}
	}
	return s.session(u)
}

func (s *Service) session(u *models.User) (Session, error) {
	token, err := s.tokens.Issue(u.ID, u.Username)
	if err != nil {
		return Session{}, internal("issue token", err)
	}
	return Session{Token: token, User: selfView(u)}, nil
}

// Authenticate resolves a bearer token to its user; a token of a deleted user is refused.
func (s *Service) Authenticate(ctx context.Context, token string) (Actor, error) {
	token = auth.BearerToken(token)
	if token == "" {
		return Actor{}, Unauthorized("missing token")
	}
	claims, err := s.tokens.Parse(token)
	if err != nil {
		switch {
		case errors.Is(err, auth.ErrTokenExpired):
			return Actor{}, Unauthorized("token expired")
		default:
			return Actor{}, Unauthorized("invalid token")
		}
	}
	u, err := s.store.UserNameByID(ctx, claims.UserID)
	if errors.Is(err, models.ErrNotFound) {
		return Actor{}, Unauthorized("user no longer exists")
	}
	if err != nil {
		return Actor{}, Wrap(KindUnavailable, "database unavailable", err)
	}
	return Actor{ID: u.ID, Username: u.Username, FullName: deref(u.FullName)}, nil
}

// Me returns the caller's own account.
func (s *Service) Me(ctx context.Context, a Actor) (UserSelf, error) {
	u, err := s.store.UserByID(ctx, a.ID)
	if errors.Is(err, models.ErrNotFound) {
		return UserSelf{}, Unauthorized("user no longer exists")
	}
	if err != nil {
		return UserSelf{}, internal("me", err)
	}
	return selfView(u), nil
}

// UpdateMe changes the caller's own account.
func (s *Service) UpdateMe(ctx context.Context, a Actor, in UpdateUserInput) (UserSelf, error) {
	cols := map[string]any{}
	if in.Username != nil {
		v := strings.TrimSpace(*in.Username)
		if err := validateUsername(v); err != nil {
			return UserSelf{}, err
		}
		cols["username"] = v
	}
	if in.Email != nil {
		v := strings.TrimSpace(*in.Email)
		if err := validateEmail(v); err != nil {
			return UserSelf{}, err
		}
		cols["email"] = v
	}
	if in.FullName != nil {
		v := strings.TrimSpace(*in.FullName)
		if err := validateFullName(v); err != nil {
			return UserSelf{}, err
		}
		cols["full_name"] = v
	}
	if in.Password != nil {
		if err := validatePassword(*in.Password); err != nil {
			return UserSelf{}, err
		}
		hash, err := auth.HashPassword(*in.Password)
		if err != nil {
			return UserSelf{}, internal("hash password", err)
		}
		cols["password_hash"] = hash
	}
	if err := s.store.UpdateUser(ctx, a.ID, cols); err != nil {
		if errors.Is(err, models.ErrDuplicate) {
			name, _ := cols["username"].(string)
			return UserSelf{}, s.duplicateUserError(ctx, name, a.ID)
		}
		return UserSelf{}, internal("update user", err)
	}
	if in.Password != nil {
		s.EndSessions(ctx, a.ID, ReasonPasswordChanged)
	}
	return s.Me(ctx, a)
}

// Users pages through all users.
func (s *Service) Users(ctx context.Context, skip, limit int) ([]UserPublic, error) {
	if skip < 0 {
		return nil, Invalid("skip must not be negative")
	}
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	users, err := s.store.ListUsers(ctx, skip, limit)
	if err != nil {
		return nil, internal("list users", err)
	}
	return publicViews(users), nil
}

// UserByID finds another user.
func (s *Service) UserByID(ctx context.Context, id int64) (UserPublic, error) {
	u, err := s.store.UserByID(ctx, id)
	return s.userResult(u, err)
}

// UserByUsername finds another user by name.
func (s *Service) UserByUsername(ctx context.Context, username string) (UserPublic, error) {
	u, err := s.store.UserByUsername(ctx, username)
	return s.userResult(u, err)
}

func (s *Service) userResult(u *models.User, err error) (UserPublic, error) {
	if errors.Is(err, models.ErrNotFound) {
		return UserPublic{}, NotFound("user not found")
	}
	if err != nil {
		return UserPublic{}, internal("user", err)
	}
	return publicView(u), nil
}

// SearchUsers finds up to 10 users whose username contains query, never the caller.
func (s *Service) SearchUsers(ctx context.Context, a Actor, query string) ([]UserPublic, error) {
	query = strings.TrimSpace(query)
	if query == "" {
		return []UserPublic{}, nil
	}
	users, err := s.store.SearchUsers(ctx, query, a.ID, 10)
	if err != nil {
		return nil, internal("search users", err)
	}
	return publicViews(users), nil
}
