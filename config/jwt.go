package config

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// devSecretFile keeps the generated development secret so tokens survive restarts.
const devSecretFile = ".jwt_secret"

func loadJWT(e *env, cfg *Config) error {
	ttl, err := loadTokenTTL(e)
	if err != nil {
		return err
	}
	cfg.TokenTTL = ttl

	if secret := e.firstOf("JWT_SECRET_KEY", "SECRET_KEY"); secret != "" {
		cfg.JWTSecret = []byte(secret)
		cfg.JWTSecretSource = "env"
		if cfg.Production && len(secret) < minProductionKeySize {
			cfg.Warnings = append(cfg.Warnings, fmt.Sprintf(
				"JWT_SECRET_KEY is only %d bytes; use at least %d random bytes", len(secret), minProductionKeySize))
		}
		return nil
	}
	if cfg.Production {
		return errors.New("config: JWT_SECRET_KEY is required in production")
	}

	path := filepath.Join(cfg.DataDir, devSecretFile)
	secret, created, err := devSecret(path)
	if err != nil {
		return fmt.Errorf("config: JWT_SECRET_KEY: development secret: %w", err)
	}
	cfg.JWTSecret = secret
	cfg.JWTSecretSource = "generated"
	verb := "reusing"
	if created {
		verb = "generated"
	}
	cfg.Warnings = append(cfg.Warnings, fmt.Sprintf(
		"JWT_SECRET_KEY not set: %s a development secret kept at %s so tokens survive restarts; set JWT_SECRET_KEY in production",
		verb, path))
	return nil
}

// loadTokenTTL prefers JWT_ACCESS_TOKEN_EXPIRES (seconds, as Flask-JWT-Extended
// used it) over ACCESS_TOKEN_EXPIRE_MINUTES.
func loadTokenTTL(e *env) (time.Duration, error) {
	if v := e.get("JWT_ACCESS_TOKEN_EXPIRES"); v != "" {
		d, ok := parseDuration(v, time.Second)
		if !ok || d <= 0 {
			return 0, invalid("JWT_ACCESS_TOKEN_EXPIRES", v, "a positive duration (seconds or e.g. \"168h\")")
		}
		return d, nil
	}
	if v := e.get("ACCESS_TOKEN_EXPIRE_MINUTES"); v != "" {
		d, ok := parseDuration(v, time.Minute)
		if !ok || d <= 0 {
			return 0, invalid("ACCESS_TOKEN_EXPIRE_MINUTES", v, "a positive number of minutes")
		}
		return d, nil
	}
	return DefaultTokenTTL, nil
}

// devSecret reads the secret at path, or creates it (mode 0600) when missing or empty.
func devSecret(path string) (secret []byte, created bool, err error) {
	data, err := os.ReadFile(path)
	if err == nil {
		if s := strings.TrimSpace(string(data)); s != "" {
			return []byte(s), false, nil
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, fmt.Errorf("reading %s: %w", path, err)
	}
	s, err := randomHex(32)
	if err != nil {
		return nil, false, err
	}
	// WriteFile keeps an existing file's mode, so set it explicitly.
	if err := os.WriteFile(path, []byte(s+"\n"), 0o600); err != nil {
		return nil, false, fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		return nil, false, fmt.Errorf("chmod %s: %w", path, err)
	}
	return []byte(s), true, nil
}

func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("reading random bytes: %w", err)
	}
	return hex.EncodeToString(b), nil
}
