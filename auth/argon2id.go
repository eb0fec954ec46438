package auth

import (
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// argon2id hashes (PHC strings, $argon2id$v=19$m=..,t=..,p=..$salt$hash) were written for
// passwords over bcrypt's 72 bytes until those moved to bcrypt over an HMAC-SHA256 pre-hash
// (see prehash.go). They are only verified now; each check costs its m KiB of memory, which
// Passwords accounts for.
const (
	argonPrefix       = "$argon2id$"
	argonMaxMemoryKiB = 256 * 1024
)

var b64 = base64.RawStdEncoding

// argon2idMemoryKiB reads the m parameter of a stored argon2id hash (0 if unreadable).
func argon2idMemoryKiB(stored string) int64 {
	parts := strings.Split(stored, "$")
	if len(parts) != 6 {
		return 0
	}
	var memory, passes uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &memory, &passes, &threads); err != nil || memory > argonMaxMemoryKiB {
		return 0
	}
	return int64(memory)
}

// verifyArgon2id checks a PHC argon2id string, refusing parameters that would make
// one check absurdly expensive.
func verifyArgon2id(stored, password string) (bool, error) {
	parts := strings.Split(stored, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errors.New("verify password: malformed argon2id hash")
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errors.New("verify password: unsupported argon2id version")
	}
	var memory, passes uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &memory, &passes, &threads); err != nil ||
		memory < 8 || memory > argonMaxMemoryKiB || passes < 1 || passes > 10 || threads < 1 {
		return false, errors.New("verify password: bad argon2id parameters")
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return false, errors.New("verify password: bad argon2id salt")
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) < 16 || len(want) > 64 {
		return false, errors.New("verify password: bad argon2id digest")
	}
	got := argon2.IDKey([]byte(password), salt, passes, memory, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
