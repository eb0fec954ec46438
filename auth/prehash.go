package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// Passwords longer than bcrypt's 72 bytes (the contract allows 128 characters, up to 512
// bytes) are first reduced to HMAC-SHA256(key = a random 16-byte salt, password), base64 (44
// bytes, no NUL), and that is hashed with bcrypt at the usual cost. Why not argon2id, as
// before: argon2id at OWASP's 19 MiB made every long-password registration cost 19 MiB, so
// 100 concurrent ones cost 1.9 GiB on a 512 MB instance. bcrypt needs 4 KiB whatever the
// length, so long and short passwords now cost the same memory and time; every byte of the
// password still counts (the HMAC reads all of it), and the per-hash salt keys the HMAC so a
// plain SHA-256 of the password leaked elsewhere cannot be used to test guesses against it.
//
// Stored as "$bcrypt-hmac-sha256$<base64 salt><bcrypt hash>", e.g.
// "$bcrypt-hmac-sha256$0R7GhG0OX1noHf0xW0lMOg$2a$10$..." (102 characters).
const (
	prehashPrefix  = "$bcrypt-hmac-sha256$"
	prehashSaltLen = 16
)

func hashPrehashed(password string) (string, error) {
	salt := make([]byte, prehashSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash password: salt: %w", err)
	}
	hash, err := bcrypt.GenerateFromPassword(prehash(salt, password), bcryptCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return prehashPrefix + b64.EncodeToString(salt) + string(hash), nil // hash starts with "$2a$"
}

func verifyPrehashed(stored, password string) (bool, error) {
	saltText, bcryptHash, ok := strings.Cut(strings.TrimPrefix(stored, prehashPrefix), "$")
	salt, err := b64.DecodeString(saltText)
	if !ok || err != nil || len(salt) != prehashSaltLen {
		return false, errors.New("verify password: malformed bcrypt-hmac-sha256 salt")
	}
	return verifyBcrypt("$"+bcryptHash, prehash(salt, password))
}

func prehash(salt []byte, password string) []byte {
	mac := hmac.New(sha256.New, salt)
	mac.Write([]byte(password))
	return []byte(base64.StdEncoding.EncodeToString(mac.Sum(nil)))
}
