package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/izpochat/server/internal/testkit"
	"github.com/izpochat/server/internal/testkit/testapp"
)

// shortTraffic is a small, short fan-out: 2 rooms of 10, every member sends,
// one step at 10 messages/s per room. Not a timing: it checks that every
// message is delivered once to every member.
func shortTraffic(transport string) trafficConfig {
	return trafficConfig{
		Conns: 20, RoomSize: 10, Senders: 10, Rates: []float64{10}, Payload: 64,
		Warmup: 300 * time.Millisecond, Duration: time.Second, Drain: 3 * time.Second,
		P99Limit: 5 * time.Second, StopOnFail: true, Users: 4, Concurrency: 8,
		Reader: "epoll", Transport: transport,
	}
}

// checkTraffic runs cfg against base and asserts every measured message
// reached every member of its room exactly once.
func checkTraffic(t *testing.T, base string, cfg trafficConfig) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rep := &Report{}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := runTraffic(ctx, base, watch{serverCore: -1, genCore: -1}, cfg, log, rep); err != nil {
		t.Fatalf("%s: %v", cfg.Transport, err)
	}
	if len(rep.Steps) != 1 {
		t.Fatalf("%s: %d steps, want 1", cfg.Transport, len(rep.Steps))
	}
	s := rep.Steps[0]
	if s.Sent == 0 || s.Expected != s.Sent*uint64(cfg.RoomSize) {
		t.Fatalf("%s: sent %d, expected %d deliveries", cfg.Transport, s.Sent, s.Expected)
	}
	if s.Received != s.Expected || s.Lost != 0 || s.Duplicates != 0 || s.Foreign != 0 || s.Malformed != 0 {
		t.Fatalf("%s: received %d of %d (lost %d, dups %d, misrouted %d, malformed %d, last error %q)",
			cfg.Transport, s.Received, s.Expected, s.Lost, s.Duplicates, s.Foreign, s.Malformed, s.LastError)
	}
	// Not a timing: whether the step "passed" (p99, the offered rate on a
	// busy machine) is not asserted, only what was delivered and refused.
	if s.Closed != 0 || s.ErrorEvents != 0 {
		t.Fatalf("%s: closed %d, error events %d (%s)", cfg.Transport, s.Closed, s.ErrorEvents, s.LastError)
	}
}

// TestTrafficAgainstGoServer runs both transports against our server as
// production wires it (testapp, SQLite).
func TestTrafficAgainstGoServer(t *testing.T) {
	app := testapp.Start(t, "sqlite")
	for _, transport := range []string{"polling", "websocket"} {
		t.Run(transport, func(t *testing.T) { checkTraffic(t, app.URL, shortTraffic(transport)) })
	}
}

// TestTrafficAgainstNodeReference runs both transports against
// bench/reference-node, in both of run.sh's configurations. It needs node and
// the reference's installed modules (cd bench/reference-node && npm ci).
func TestTrafficAgainstNodeReference(t *testing.T) {
	dir, _ := filepath.Abs("../reference-node")
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not installed")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "socket.io")); err != nil {
		t.Skip("bench/reference-node has no node_modules (npm ci there)")
	}
	for _, cfg := range []struct {
		name   string
		env    []string
		loaded string // what the startup line must say of bufferutil
	}{
		{"node", []string{"WS_NO_BUFFER_UTIL=1", "WS_NO_UTF_8_VALIDATE=1"}, "bufferutil resolves=yes loaded=no"},
		{"node-native", nil, "bufferutil resolves=yes loaded=yes"},
	} {
		t.Run(cfg.name, func(t *testing.T) {
			base, logs := startNodeReference(t, dir, cfg.env)
			if !strings.Contains(logs.String(), cfg.loaded) {
				t.Fatalf("startup log does not say %q:\n%s", cfg.loaded, logs.String())
			}
			for _, transport := range []string{"polling", "websocket"} {
				t.Run(transport, func(t *testing.T) { checkTraffic(t, base, shortTraffic(transport)) })
			}
		})
	}
}

// startNodeReference runs node server.js in dir on a free port with env on
// top of this process's environment and waits until it serves and has logged
// its ws addons line (testkit.StartProcess runs our binary's flags, not node's).
func startNodeReference(t *testing.T, dir string, env []string) (string, *testkit.LockedBuffer) {
	t.Helper()
	port := testkit.FreePort(t)
	cmd := exec.Command("node", "server.js")
	cmd.Dir = dir
	logs := &testkit.LockedBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	cmd.Env = append(os.Environ(), append(env, "PORT="+fmt.Sprint(port), "DATA_DIR="+t.TempDir(), "JWT_SECRET_KEY=loadgen-test-secret-0123456789abcdef")...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := http.Get(base + "/health")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK && strings.Contains(logs.String(), "ws addons:") {
				return base, logs
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("reference server did not start:\n%s", logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}
