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

// UpdateUserInput changes the given fields (nil: unchanged). Changing Password or Email
// needs CurrentPassword.
type UpdateUserInput struct {
	Username        *string
	Email           *string
	FullName        *string
	Password        *string
	CurrentPassword *string
}

// AccountUpdate is what UpdateMe answers. Token is set when the password changed: every
// token issued before, the caller's own included, no longer works, so this is the new one.
type AccountUpdate struct {
	User  UserSelf
	Token string
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
	// Taken names are answered before any hashing: a repeated registration costs two
	// indexed lookups, not a hash. The unique indexes still decide races below.
	if err := s.accountFree(ctx, in.Username, in.Email, 0); err != nil {
		return Session{}, err
	}
	hash, err := s.hashPassword(ctx, in.Password)
	if err != nil {
		return Session{}, err
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

// accountFree answers Conflict when username or email (ignoring case) belongs to a user
// other than exceptID; an empty value is not checked.
func (s *Service) accountFree(ctx context.Context, username, email string, exceptID int64) error {
	if username != "" {
		taken, err := s.store.UsernameTaken(ctx, username, exceptID)
		if err != nil {
			return internal("check username", err)
		}
		if taken {
			return Conflict("username already taken")
		}
	}
	if email != "" {
		taken, err := s.store.EmailTaken(ctx, email, exceptID)
		if err != nil {
			return internal("check email", err)
		}
		if taken {
			return Conflict("email already registered")
		}
	}
	return nil
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
	ok, upgrade, err := s.checkPassword(ctx, u.ID, u.PasswordHash, in.Password)
	if err != nil {
		return Session{}, err
	}
	if !ok {
		return Session{}, Unauthorized("invalid credentials")
	}
	if upgrade {
		// Same password, so the token generation stays; a full budget skips the upgrade.
		if hash, err := s.passwords.Hash(ctx, in.Password); err == nil {
			if err := s.store.UpdateUser(ctx, u.ID, map[string]any{"password_hash": hash}); err != nil {
				s.log.WarnContext(ctx, "password hash upgrade failed", "user_id", u.ID, "err", err)
			}
		}
	}
	return s.session(u)
}

func (s *Service) session(u *models.User) (Session, error) {
	token, err := s.tokens.IssueGeneration(u.ID, u.Username, u.TokenGeneration)
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
	u, gen, cached := s.users.get(claims.UserID)
	if !cached {
		u, err = s.store.UserNameByID(ctx, claims.UserID)
		if errors.Is(err, models.ErrNotFound) {
			return Actor{}, Unauthorized("user no longer exists")
		}
		if err != nil {
			return Actor{}, Wrap(KindUnavailable, "database unavailable", err)
		}
		s.users.put(u, gen)
	}
	// Every door authenticates here, so this one check ends a token on all of them.
	if claims.Generation != u.TokenGeneration {
		return Actor{}, Unauthorized("token revoked: the password has changed since it was issued")
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

// UpdateMe changes the caller's own account. Changing the password or the email needs the
// current password (missing: Invalid, wrong: Forbidden); the other fields do not.
func (s *Service) UpdateMe(ctx context.Context, a Actor, in UpdateUserInput) (AccountUpdate, error) {
	u, err := s.store.UserByID(ctx, a.ID)
	if errors.Is(err, models.ErrNotFound) {
		return AccountUpdate{}, Unauthorized("user no longer exists")
	}
	if err != nil {
		return AccountUpdate{}, internal("update user", err)
	}
	cols := map[string]any{}
	var username, email string
	if in.Username != nil {
		username = strings.TrimSpace(*in.Username)
		if err := validateUsername(username); err != nil {
			return AccountUpdate{}, err
		}
		cols["username"] = username
	}
	if in.Email != nil {
		// The same email sent back unchanged (a profile form does) needs no password.
		if v := strings.TrimSpace(*in.Email); v != u.Email {
			if err := validateEmail(v); err != nil {
				return AccountUpdate{}, err
			}
			email = v
			cols["email"] = v
		}
	}
	if in.FullName != nil {
		v := strings.TrimSpace(*in.FullName)
		if err := validateFullName(v); err != nil {
			return AccountUpdate{}, err
		}
		cols["full_name"] = v
	}
	if in.Password != nil {
		if err := validatePassword(*in.Password); err != nil {
			return AccountUpdate{}, err
		}
	}
	if in.Password != nil || email != "" {
		if err := s.confirmCurrentPassword(ctx, u, in.CurrentPassword); err != nil {
			return AccountUpdate{}, err
		}
	}
	if err := s.accountFree(ctx, username, email, a.ID); err != nil {
		return AccountUpdate{}, err
	}
	if in.Password != nil {
		hash, err := s.hashPassword(ctx, *in.Password)
		if err != nil {
			return AccountUpdate{}, err
		}
		models.SetPasswordHash(cols, hash)
	}
	if err := s.store.UpdateUser(ctx, a.ID, cols); err != nil {
		if errors.Is(err, models.ErrDuplicate) {
			return AccountUpdate{}, s.duplicateUserError(ctx, username, a.ID)
		}
		return AccountUpdate{}, internal("update user", err)
	}
	if in.Username != nil || in.FullName != nil {
		// Every message of theirs shows their names.
		s.publishUserChanged(ctx, a.ID)
	}
	if in.Password == nil {
		self, err := s.Me(ctx, a)
		return AccountUpdate{User: self}, err
	}
	s.passwordChanged(ctx, a.ID)
	u, err = s.store.UserByID(ctx, a.ID)
	if err != nil {
		return AccountUpdate{}, internal("update user", err)
	}
	sess, err := s.session(u)
	if err != nil {
		return AccountUpdate{}, err
	}
	return AccountUpdate{User: sess.User, Token: sess.Token}, nil
}

// confirmCurrentPassword checks the password the caller says is theirs.
func (s *Service) confirmCurrentPassword(ctx context.Context, u *models.User, current *string) error {
	if current == nil || *current == "" {
		return Invalid("current_password is required to change password or email")
	}
	ok, _, err := s.checkPassword(ctx, u.ID, u.PasswordHash, *current)
	if err != nil {
		return err
	}
	if !ok {
		return Forbidden("current_password is incorrect")
	}
	return nil
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
