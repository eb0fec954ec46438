// Package chat is the domain core shared by every door (REST, Socket.IO, raw
// WebSocket): accounts, who may read or post where, storing messages, and handing
// stored messages to the fan-out. Doors translate; this package decides.
package chat

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Kind classifies a domain error; each door maps it to its own answer
// (an HTTP status, a Socket.IO error code, a WebSocket close code).
type Kind int

const (
	KindInternal Kind = iota
	KindInvalid
	KindUnauthorized
	KindForbidden
	KindNotFound
	KindConflict
	KindTooLarge
	KindUnsupported
	KindRateLimited
	KindUnavailable
	KindBadGateway
	KindTimeout
)

// Error is an error a client may read: Message is safe to show; Err, the cause,
// is for logs only.
type Error struct {
	Kind    Kind
	Message string
	Err     error
	// RetryAfter, when set, is how long the client should wait before trying again
	// (REST: the Retry-After header).
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

func newErr(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// Invalid and the functions beside it build client-facing errors.
func Invalid(format string, args ...any) error      { return newErr(KindInvalid, format, args...) }
func Unauthorized(format string, args ...any) error { return newErr(KindUnauthorized, format, args...) }
func Forbidden(format string, args ...any) error    { return newErr(KindForbidden, format, args...) }
func NotFound(format string, args ...any) error     { return newErr(KindNotFound, format, args...) }
func Conflict(format string, args ...any) error     { return newErr(KindConflict, format, args...) }
func TooLarge(format string, args ...any) error     { return newErr(KindTooLarge, format, args...) }
func Unsupported(format string, args ...any) error  { return newErr(KindUnsupported, format, args...) }
func RateLimited(format string, args ...any) error  { return newErr(KindRateLimited, format, args...) }

// Wrap marks an unexpected failure: clients see msg, logs see err.
func Wrap(kind Kind, msg string, err error) error { return &Error{Kind: kind, Message: msg, Err: err} }

// internal wraps an unexpected failure of op. A request that ran out of time
// (a busy database) is "unavailable": the client may retry, nothing is broken.
func internal(op string, err error) error {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return &Error{Kind: KindUnavailable, Message: "server busy, try again", Err: fmt.Errorf("%s: %w", op, err)}
	}
	return &Error{Kind: KindInternal, Message: "internal error", Err: fmt.Errorf("%s: %w", op, err)}
}

// KindOf reports the Kind of err (KindInternal for errors not made here).
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// PublicMessage is the text a client may see for err.
func PublicMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// RetryAfterOf is how long the client should wait before retrying err (0: not said).
func RetryAfterOf(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}
