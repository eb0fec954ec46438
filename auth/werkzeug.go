package auth

import (
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"

	"golang.org/x/crypto/scrypt"
)

// Limits on parameters read from stored hashes: a corrupt or hostile row must not make a login
// hang or allocate gigabytes.
const (
	maxPBKDF2Iterations = 10_000_000
	maxScryptMemory     = 256 << 20 // bytes, 128*n*r; Werkzeug's default uses 32 MiB
	maxScryptWork       = 1 << 24   // n*r*p; Werkzeug's default is 2^18
	scryptKeyLen        = 64        // hashlib.scrypt's default dklen, used by Werkzeug
)

// legacyPBKDF2Iterations are tried, in order, when a "pbkdf2:<hash>" hash names no iteration
// count. Werkzeug always writes the count, and when it is missing Werkzeug falls back to its
// own current default: 1,000,000 (3.1), 600,000 (2.3-3.0), 260,000 (2.0-2.2).
var legacyPBKDF2Iterations = []int{1_000_000, 600_000, 260_000}

// verifyWerkzeug checks a Werkzeug generate_password_hash string ("method$salt$hexdigest").
func verifyWerkzeug(stored, password string) (bool, error) {
	method, salt, digestHex, found := splitWerkzeug(stored)
	if !found {
		return false, errors.New("verify password: malformed werkzeug hash: want method$salt$digest")
	}
	want, err := hex.DecodeString(digestHex)
	if err != nil {
		return false, fmt.Errorf("verify password: malformed werkzeug digest: %w", err)
	}
	name, args, _ := strings.Cut(method, ":")
	switch name {
	case "pbkdf2":
		return verifyPBKDF2(args, salt, want, password)
	case "scrypt":
		return verifyScrypt(args, salt, want, password)
	default:
		return false, fmt.Errorf("verify password: unknown werkzeug method %q", name)
	}
}

func splitWerkzeug(stored string) (method, salt, digestHex string, ok bool) {
	parts := strings.SplitN(stored, "$", 3)
	if len(parts) != 3 || parts[0] == "" || parts[2] == "" {
		return "", "", "", false
	}
	return parts[0], parts[1], parts[2], true
}

// verifyPBKDF2 handles the arguments after "pbkdf2:": "", "<hash>" or "<hash>:<iterations>".
func verifyPBKDF2(args, salt string, want []byte, password string) (bool, error) {
	hashName, iterText, hasIter := strings.Cut(args, ":")
	if hashName == "" {
		if hasIter {
			return false, errors.New("verify password: pbkdf2 hash name missing")
		}
		hashName = "sha256"
	}
	newHash, size, err := pbkdf2HashByName(hashName)
	if err != nil {
		return false, err
	}
	// hashlib.pbkdf2_hmac defaults dklen to the digest size, so Werkzeug digests always have it.
	if len(want) != size {
		return false, fmt.Errorf("verify password: pbkdf2 digest is %d bytes, want %d", len(want), size)
	}
	iterations := legacyPBKDF2Iterations
	if hasIter {
		n, err := parseBoundedInt(iterText, 1, maxPBKDF2Iterations)
		if err != nil {
			return false, fmt.Errorf("verify password: pbkdf2 iterations: %w", err)
		}
		iterations = []int{n}
	}
	for _, n := range iterations {
		got, err := pbkdf2.Key(newHash, password, []byte(salt), n, size)
		if err != nil {
			return false, fmt.Errorf("verify password: pbkdf2: %w", err)
		}
		if subtle.ConstantTimeCompare(got, want) == 1 {
			return true, nil
		}
	}
	return false, nil
}

func pbkdf2HashByName(name string) (func() hash.Hash, int, error) {
	switch name {
	case "sha256":
		return sha256.New, sha256.Size, nil
	case "sha512":
		return sha512.New, sha512.Size, nil
	case "sha384":
		return sha512.New384, sha512.Size384, nil
	case "sha224":
		return sha256.New224, sha256.Size224, nil
	case "sha1":
		return sha1.New, sha1.Size, nil
	default:
		return nil, 0, fmt.Errorf("verify password: unsupported pbkdf2 hash %q", name)
	}
}

// scryptMemoryKiB is the memory scrypt needs to check stored (128·n·r bytes for V, 128·r·p
// for B), 0 when its parameters are unreadable or beyond the limits (it is then refused).
func scryptMemoryKiB(stored string) int64 {
	method, _, _, ok := splitWerkzeug(stored)
	if !ok {
		return 0
	}
	_, args, _ := strings.Cut(method, ":")
	n, r, p, err := scryptParams(args)
	if err != nil {
		return 0
	}
	return (128*int64(n)*int64(r) + 128*int64(r)*int64(p)) / 1024
}

// verifyScrypt handles the arguments after "scrypt:": "<n>:<r>:<p>" (empty means Werkzeug's
// default 32768:8:1).
func verifyScrypt(args, salt string, want []byte, password string) (bool, error) {
	n, r, p, err := scryptParams(args)
	if err != nil {
		return false, err
	}
	if len(want) != scryptKeyLen {
		return false, fmt.Errorf("verify password: scrypt digest is %d bytes, want %d", len(want), scryptKeyLen)
	}
	got, err := scrypt.Key([]byte(password), []byte(salt), n, r, p, scryptKeyLen)
	if err != nil {
		return false, fmt.Errorf("verify password: scrypt: %w", err)
	}
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// scryptParams parses and bounds "<n>:<r>:<p>" ("" is Werkzeug's default 32768:8:1).
func scryptParams(args string) (n, r, p int, err error) {
	n, r, p = 1<<15, 8, 1
	if args != "" {
		fields := strings.Split(args, ":")
		if len(fields) != 3 {
			return 0, 0, 0, errors.New("verify password: scrypt takes n:r:p")
		}
		if n, err = parseBoundedInt(fields[0], 2, maxScryptWork); err != nil {
			return 0, 0, 0, fmt.Errorf("verify password: scrypt n: %w", err)
		}
		if r, err = parseBoundedInt(fields[1], 1, maxScryptWork); err != nil {
			return 0, 0, 0, fmt.Errorf("verify password: scrypt r: %w", err)
		}
		if p, err = parseBoundedInt(fields[2], 1, maxScryptWork); err != nil {
			return 0, 0, 0, fmt.Errorf("verify password: scrypt p: %w", err)
		}
	}
	if n&(n-1) != 0 {
		return 0, 0, 0, fmt.Errorf("verify password: scrypt n=%d is not a power of 2", n)
	}
	// Each factor is at most maxScryptWork (2^24), so these products fit in int64.
	if int64(n)*int64(r)*int64(p) > maxScryptWork || 128*int64(n)*int64(r) > maxScryptMemory {
		return 0, 0, 0, fmt.Errorf("verify password: scrypt parameters %d:%d:%d exceed limits", n, r, p)
	}
	return n, r, p, nil
}

// parseBoundedInt parses a plain decimal (digits only) within [lo, hi].
func parseBoundedInt(text string, lo, hi int) (int, error) {
	if text == "" || strings.TrimLeft(text, "0123456789") != "" {
		return 0, fmt.Errorf("%q is not a decimal number", text)
	}
	n, err := strconv.Atoi(text)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%q is outside [%d, %d]", text, lo, hi)
	}
	return n, nil
}
