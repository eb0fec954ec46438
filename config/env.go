package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/joho/godotenv"
)

// env looks variables up in the real environment first, then in the .env file.
// An empty real value counts as unset: getenv cannot tell the two apart.
type env struct {
	getenv   func(string) string
	dotenv   map[string]string
	warnings []string
}

func newEnv(getenv func(string) string, dotenvPath string) (*env, error) {
	e := &env{getenv: getenv}
	if dotenvPath == "" {
		return e, nil
	}
	values, err := godotenv.Read(dotenvPath)
	if errors.Is(err, fs.ErrNotExist) {
		return e, nil
	}
	if err != nil {
		return nil, fmt.Errorf("config: reading %s: %w", dotenvPath, err)
	}
	e.dotenv = values
	return e, nil
}

// get returns the trimmed value of key, or "" when it is unset.
func (e *env) get(key string) string {
	if v := strings.TrimSpace(e.getenv(key)); v != "" {
		return v
	}
	return strings.TrimSpace(e.dotenv[key])
}

func (e *env) getOr(key, fallback string) string {
	if v := e.get(key); v != "" {
		return v
	}
	return fallback
}

// firstOf returns the value of the first key that is set.
func (e *env) firstOf(keys ...string) string {
	for _, k := range keys {
		if v := e.get(k); v != "" {
			return v
		}
	}
	return ""
}

func invalid(key, value, what string) error {
	return fmt.Errorf("config: %s: %q is not %s", key, value, what)
}

func (e *env) port(key string, fallback int) (int, error) {
	v := e.get(key)
	if v == "" {
		return fallback, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 65535 {
		return 0, invalid(key, v, "a valid port")
	}
	return n, nil
}

func (e *env) positiveInt(key string, fallback int) (int, error) {
	v := e.get(key)
	if v == "" {
		return fallback, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, invalid(key, v, "a positive integer")
	}
	return n, nil
}

func (e *env) nonNegativeInt(key string, fallback int) (int, error) {
	v := e.get(key)
	if v == "" {
		return fallback, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, invalid(key, v, "a non-negative integer")
	}
	return n, nil
}

func (e *env) positiveFloat(key string, fallback float64) (float64, error) {
	v := e.get(key)
	if v == "" {
		return fallback, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || !(f > 0) || f > 1e12 {
		return 0, invalid(key, v, "a positive number")
	}
	return f, nil
}

// duration reads a positive duration given as whole seconds ("30") or as a
// Go duration ("30s", "168h").
func (e *env) duration(key string, fallback time.Duration) (time.Duration, error) {
	v := e.get(key)
	if v == "" {
		return fallback, nil
	}
	d, ok := parseDuration(v, time.Second)
	if !ok || d <= 0 {
		return 0, invalid(key, v, "a positive duration (seconds or e.g. \"30s\")")
	}
	return d, nil
}

// parseDuration accepts an integer count of unit or a Go duration string.
func parseDuration(v string, unit time.Duration) (time.Duration, bool) {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n > int64(1<<62)/int64(unit) || n < -int64(1<<62)/int64(unit) {
			return 0, false
		}
		return time.Duration(n) * unit, true
	}
	d, err := time.ParseDuration(v)
	return d, err == nil
}

func equalFold(a, b string) bool { return strings.EqualFold(strings.TrimSpace(a), b) }

func defaultInstanceID() (string, error) {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "izpochat"
	}
	suffix, err := randomHex(3)
	if err != nil {
		return "", fmt.Errorf("config: INSTANCE_ID: %w", err)
	}
	return host + "-" + suffix, nil
}
