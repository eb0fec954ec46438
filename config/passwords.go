package config

import "time"

// Passwords bounds password hashing (register, login, password and email changes).
type Passwords struct {
	// HashMemoryMB is the memory all hashes and checks running at once may use
	// (HASH_MEMORY_MB, default 64). Each is charged its working memory, at least 4 MiB: a
	// new hash or check (bcrypt) 4 MiB, an old argon2id hash 19 MiB, an old Werkzeug scrypt
	// hash 32 MiB.
	HashMemoryMB int
	// HashWait is how long a request waits for its share before it is answered 503 with
	// Retry-After (HASH_WAIT, seconds or a Go duration, default 5s).
	HashWait time.Duration
}

// Password hashing defaults: 64 MiB runs 16 bcrypts at once (several times what the cores
// run), or 3 checks of old argon2id hashes, or 2 of old scrypt ones. The hashes admitted
// share the CPU, so on half a core (Render's starter) a full batch of 16 takes ~2.5 s; 5 s
// lets a burst of ~45 registrations or logins through before anyone is turned away,
// which no real user's traffic comes near.
const (
	DefaultHashMemoryMB = 64
	DefaultHashWait     = 5 * time.Second
)

func loadPasswords(e *env) (Passwords, error) {
	var p Passwords
	var err error
	if p.HashMemoryMB, err = e.positiveInt("HASH_MEMORY_MB", DefaultHashMemoryMB); err != nil {
		return Passwords{}, err
	}
	if p.HashWait, err = e.duration("HASH_WAIT", DefaultHashWait); err != nil {
		return Passwords{}, err
	}
	return p, nil
}
