package auth

import (
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func TestHashPasswordRoundTrip(t *testing.T) {
	hash, err := HashPassword("s3cret pässword")
	if err != nil {
		t.Fatalf("HashPassword: %v", err)
	}
	if !strings.HasPrefix(hash, "$2a$") && !strings.HasPrefix(hash, "$2b$") {
		t.Fatalf("hash %q is not bcrypt", hash)
	}
	cost, err := bcrypt.Cost([]byte(hash))
	if err != nil || cost < 10 {
		t.Fatalf("bcrypt cost = %d, %v; want >= 10", cost, err)
	}
	ok, upgrade, err := VerifyPassword(hash, "s3cret pässword")
	if !ok || upgrade || err != nil {
		t.Fatalf("VerifyPassword(right) = %v, %v, %v; want true, false, nil", ok, upgrade, err)
	}
	ok, upgrade, err = VerifyPassword(hash, "s3cret password")
	if ok || upgrade || err != nil {
		t.Fatalf("VerifyPassword(wrong) = %v, %v, %v; want false, false, nil", ok, upgrade, err)
	}
}

func TestHashPasswordSaltsEachHash(t *testing.T) {
	a, errA := HashPassword("same")
	b, errB := HashPassword("same")
	if errA != nil || errB != nil {
		t.Fatalf("HashPassword: %v, %v", errA, errB)
	}
	if a == b {
		t.Fatal("two hashes of the same password are equal; salt missing")
	}
}

// bcrypt reads 72 bytes only: a longer password gets bcrypt over an HMAC-SHA256 of the whole
// password, in which every byte counts, never a silently truncated bcrypt.
func TestHashPasswordLongerThanBcryptTakesIsPrehashed(t *testing.T) {
	long := strings.Repeat("x", 72) + "tail-1"
	hash, err := HashPassword(long)
	if err != nil {
		t.Fatalf("HashPassword: %v", err)
	}
	if !strings.HasPrefix(hash, "$bcrypt-hmac-sha256$") || !strings.Contains(hash, "$2a$10$") || len(hash) > 255 {
		t.Fatalf("hash of a 78-byte password = %q, want bcrypt over a pre-hash", hash)
	}
	if ok, upgrade, err := VerifyPassword(hash, long); !ok || upgrade || err != nil {
		t.Fatalf("VerifyPassword(right) = %v, %v, %v", ok, upgrade, err)
	}
	if ok, _, err := VerifyPassword(hash, strings.Repeat("x", 72)+"tail-2"); ok || err != nil {
		t.Fatalf("VerifyPassword(differs after byte 72) = %v, %v", ok, err)
	}
	other, _ := HashPassword(long)
	if other == hash {
		t.Fatal("two pre-hashed hashes of one password are equal; salt missing")
	}
	for _, bad := range []string{"$bcrypt-hmac-sha256$", "$bcrypt-hmac-sha256$!!" + hash[42:], hash[:len(hash)-5]} {
		if ok, _, err := VerifyPassword(bad, long); ok || err == nil {
			t.Errorf("VerifyPassword(%q) = %v, %v; want an error", bad, ok, err)
		}
	}
}

// argon2id hashes written before (m=19 MiB, for passwords over 72 bytes) keep verifying.
func TestStoredArgon2idHashesKeepVerifying(t *testing.T) {
	const password = "an old argon2id password that is longer than bcrypt's seventy-two bytes, really"
	const stored = "$argon2id$v=19$m=19456,t=2,p=1$hehFss/mcTHhgwINsrvjvA$yRB8GIkj2LFJt3hmQPWY10T0PyHi3ZPJgjdz/dee7+g"
	if ok, upgrade, err := VerifyPassword(stored, password); !ok || upgrade || err != nil {
		t.Fatalf("VerifyPassword(stored argon2id) = %v, %v, %v", ok, upgrade, err)
	}
	if ok, _, err := VerifyPassword(stored, password+"!"); ok || err != nil {
		t.Fatalf("VerifyPassword(wrong) = %v, %v", ok, err)
	}
	if got := memoryCostKiB(stored); got != 19456 {
		t.Fatalf("cost of checking it = %d KiB, want 19456", got)
	}
}

func TestVerifyArgon2idRefusesMalformedHashes(t *testing.T) {
	for _, stored := range []string{
		"$argon2id$",
		"$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ",
		"$argon2id$v=18$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=99999999,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=19456,t=0,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=19456,t=2,p=1$!!$aGFzaGhhc2hoYXNoaGFzaA",
	} {
		if ok, _, err := VerifyPassword(stored, "pw"); ok || err == nil {
			t.Errorf("VerifyPassword(%q) = %v, %v; want an error", stored, ok, err)
		}
	}
}

func TestVerifyPasswordBcryptVariants(t *testing.T) {
	hash, err := HashPassword("pw")
	if err != nil {
		t.Fatalf("HashPassword: %v", err)
	}
	// PHP's $2y$ and OpenBSD's $2b$ are the same algorithm as $2a$.
	for _, prefix := range []string{"$2a$", "$2b$", "$2y$"} {
		variant := prefix + hash[4:]
		ok, upgrade, err := VerifyPassword(variant, "pw")
		if !ok || upgrade || err != nil {
			t.Errorf("VerifyPassword(%s...) = %v, %v, %v; want true, false, nil", prefix, ok, upgrade, err)
		}
	}
}

func TestVerifyPasswordMalformedBcrypt(t *testing.T) {
	for _, stored := range []string{"$2a$", "$2a$10$short", "$2b$99$" + strings.Repeat("a", 53)} {
		ok, _, err := VerifyPassword(stored, "pw")
		if ok || err == nil {
			t.Errorf("VerifyPassword(%q) = %v, %v; want false and an error", stored, ok, err)
		}
	}
}

func TestVerifyPasswordUnknownFormat(t *testing.T) {
	for _, stored := range []string{"", "plain", "sha256$salt$abcd", "md5:x$y$z", "$1$abc$def", "argon2id$x"} {
		ok, upgrade, err := VerifyPassword(stored, "plain")
		if ok || upgrade || err == nil {
			t.Errorf("VerifyPassword(%q) = %v, %v, %v; want false, false, error", stored, ok, upgrade, err)
		}
	}
}
