package chat

import (
	"context"
	"errors"

	"github.com/izpochat/server/auth"
)

// hashPassword hashes within the server's hashing budget (auth.Passwords).
func (s *Service) hashPassword(ctx context.Context, password string) (string, error) {
	hash, err := s.passwords.Hash(ctx, password)
	if err != nil {
		return "", s.hashingError("hash password", err)
	}
	return hash, nil
}

// checkPassword tells whether password matches stored, within the hashing budget. An
// unreadable stored hash is logged (never the hash itself) and does not match.
func (s *Service) checkPassword(ctx context.Context, userID int64, stored, password string) (ok, upgrade bool, err error) {
	ok, upgrade, err = s.passwords.Verify(ctx, stored, password)
	switch {
	case errors.Is(err, auth.ErrBusy), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return false, false, s.hashingError("verify password", err)
	case err != nil:
		s.log.WarnContext(ctx, "unreadable password hash", "user_id", userID, "err", err)
		return false, false, nil
	}
	return ok, upgrade, nil
}

// hashingError turns a full hashing budget into "try again shortly" (503 + Retry-After).
func (s *Service) hashingError(op string, err error) error {
	if errors.Is(err, auth.ErrBusy) {
		return &Error{Kind: KindUnavailable, Message: "server busy, try again", Err: err, RetryAfter: s.passwords.RetryAfter()}
	}
	return internal(op, err)
}

// passwordChanged is the one place a password change is complete: the user's token
// generation has moved on, so every token issued before is refused from now on by
// Authenticate on every door, and every live connection of the user ends (an access
// event: the caller gets a new token in the answer and reconnects with it).
func (s *Service) passwordChanged(ctx context.Context, userID int64) {
	s.log.InfoContext(ctx, "password changed; older tokens revoked", "user_id", userID)
	s.EndSessions(ctx, userID, ReasonPasswordChanged)
}
