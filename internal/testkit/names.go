package testkit

import (
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
)

// Logger is a test's logger: silent, or debug lines on stderr with
// CLUSTER_TEST_LOG set (to watch the Redis parts at work).
func Logger(testing.TB) *slog.Logger {
	if os.Getenv("CLUSTER_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// UniqueName names channels and key prefixes of one test, so tests sharing one
// Redis never see each other (pub/sub channels are not per DB).
func UniqueName(t testing.TB) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	name := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
	return "test:" + name + ":" + hex.EncodeToString(b)
}
