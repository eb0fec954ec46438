// Package auth holds password hashing and access tokens, compatible with the data written by the
// old Flask backend (Werkzeug password hashes, Flask-JWT-Extended tokens).
package auth

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// bcryptCost is the work factor for new hashes.
const bcryptCost = 10

// bcryptMaxBytes is how much of a password bcrypt reads.
const bcryptMaxBytes = 72

// HashPassword returns a bcrypt hash (cost 10) of password. bcrypt only looks at 72
// bytes, so a longer password is pre-hashed (prehash.go) instead of being truncated.
// It is not bounded: the server hashes through Passwords.
func HashPassword(password string) (string, error) {
	if len(password) > bcryptMaxBytes {
		return hashPrehashed(password)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcryptCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(hash), nil
}

// VerifyPassword checks password against a stored hash. Accepted formats: bcrypt ($2a$, $2b$,
// $2y$), bcrypt over an HMAC-SHA256 pre-hash (prehash.go), argon2id (PHC string) and the Werkzeug formats "pbkdf2:<hash>[:<iterations>]$<salt>$<hex>" and
// "scrypt:<n>:<r>:<p>$<salt>$<hex>". needsUpgrade is true only when the password matched a
// Werkzeug hash, so the caller can re-hash it with HashPassword. A malformed or unknown hash
// gives ok=false and a non-nil error; a wrong password gives ok=false and a nil error.
func VerifyPassword(stored, password string) (ok bool, needsUpgrade bool, err error) {
	switch {
	case isBcrypt(stored):
		ok, err := verifyBcrypt(stored, []byte(password))
		return ok, false, err
	case strings.HasPrefix(stored, prehashPrefix):
		ok, err := verifyPrehashed(stored, password)
		return ok, false, err
	case strings.HasPrefix(stored, argonPrefix):
		ok, err := verifyArgon2id(stored, password)
		return ok, false, err
	case strings.HasPrefix(stored, "pbkdf2"), strings.HasPrefix(stored, "scrypt"):
		ok, err := verifyWerkzeug(stored, password)
		return ok, ok, err
	default:
		return false, false, errors.New("verify password: unknown hash format")
	}
}

func isBcrypt(stored string) bool {
	return strings.HasPrefix(stored, "$2a$") || strings.HasPrefix(stored, "$2b$") ||
		strings.HasPrefix(stored, "$2y$")
}

func verifyBcrypt(stored string, password []byte) (bool, error) {
	err := bcrypt.CompareHashAndPassword([]byte(stored), password)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
		return false, nil
	default:
		return false, fmt.Errorf("verify password: bcrypt: %w", err)
	}
}
