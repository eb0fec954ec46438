package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/izpochat/server/config"
	"github.com/izpochat/server/internal/testdb"
	"github.com/izpochat/server/internal/testkit"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// startRun runs the whole program with env and waits until it answers /health.
func startRun(t *testing.T, env map[string]string) (base string, stop func() error, logs *testkit.LockedBuffer) {
	t.Helper()
	port := testkit.FreePort(t)
	env["PORT"] = fmt.Sprint(port)
	if env["DATA_DIR"] == "" {
		env["DATA_DIR"] = t.TempDir()
	}
	ctx, cancel := context.WithCancel(context.Background())
	logs = &testkit.LockedBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"izpochat", "-env-file", ""}, envOf(env), logs, logs) }()
	base = fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(base + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case err := <-done:
			t.Fatalf("run returned before serving: %v\n%s", err, logs)
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("server did not become healthy\n%s", logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop = func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(12 * time.Second):
			return fmt.Errorf("run did not return within 12s of the signal")
		}
	}
	return base, stop, logs
}

func postJSON(t *testing.T, url, token string, body any) (int, map[string]any) {
	t.Helper()
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (int, map[string]any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out
}

// The first README command: with nothing configured, run serves register → login → me
// on the embedded SQLite, and stops cleanly when its context ends (SIGINT/SIGTERM).
func TestRunServesAccountsOnZeroConfigAndStopsCleanly(t *testing.T) {
	base, stop, logs := startRun(t, map[string]string{})
	status, reg := postJSON(t, base+"/api/users/register", "", map[string]string{
		"username": "alice", "email": "alice@example.com", "password": "secret1"})
	if status != http.StatusCreated || reg["access_token"] == nil {
		t.Fatalf("register: %d %v", status, reg)
	}
	status, login := postJSON(t, base+"/api/users/login", "", map[string]string{"email": "alice@example.com", "password": "secret1"})
	if status != http.StatusOK {
		t.Fatalf("login: %d %v", status, login)
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/api/users/me", nil)
	req.Header.Set("Authorization", "Bearer "+login["access_token"].(string))
	status, me := do(t, req)
	if status != http.StatusOK || me["username"] != "alice" || me["email"] != "alice@example.com" {
		t.Fatalf("me: %d %v", status, me)
	}
	start := time.Now()
	if err := stop(); err != nil {
		t.Fatalf("stop: %v\n%s", err, logs)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("shutdown took %v, want < 10s", d)
	}
	if !strings.Contains(logs.String(), "stopped") {
		t.Fatalf("no clean stop logged:\n%s", logs)
	}
}

// Tokens survive a restart in development: the generated secret is kept in DATA_DIR.
func TestRunKeepsDevelopmentSecretAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	base, stop, _ := startRun(t, map[string]string{"DATA_DIR": dir})
	_, reg := postJSON(t, base+"/api/register", "", map[string]string{
		"username": "bob", "email": "bob@example.com", "password": "secret1"})
	token, _ := reg["access_token"].(string)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	base, stop, _ = startRun(t, map[string]string{"DATA_DIR": dir})
	defer stop()
	req, _ := http.NewRequest(http.MethodGet, base+"/api/users/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	if status, me := do(t, req); status != http.StatusOK || me["username"] != "bob" {
		t.Fatalf("token after restart: %d %v", status, me)
	}
}

// A bad value stops start-up with a message naming the variable.
func TestRunRefusesBadConfiguration(t *testing.T) {
	cases := map[string]map[string]string{
		"PORT":           {"PORT": "abc"},
		"DATABASE_URL":   {"DATABASE_URL": "mysql://x"},
		"JWT_SECRET_KEY": {"APP_ENV": "production"},
	}
	for name, env := range cases {
		t.Run(name, func(t *testing.T) {
			env["DATA_DIR"] = t.TempDir()
			var out bytes.Buffer
			err := run(context.Background(), []string{"izpochat", "-env-file", ""}, envOf(env), &out, &out)
			if err == nil || !strings.Contains(err.Error(), name) {
				t.Fatalf("run error = %v, want one naming %s", err, name)
			}
		})
	}
}

// DATABASE_URL switches to PostgreSQL (here a schema of its own on the machine's server).
func TestRunServesOnPostgres(t *testing.T) {
	db := testdb.Config(t, config.DriverPostgres)
	base, stop, logs := startRun(t, map[string]string{"DATABASE_URL": db.DSN, "JWT_SECRET_KEY": "test-secret"})
	defer stop()
	status, reg := postJSON(t, base+"/api/users/register", "", map[string]string{
		"username": "carol", "email": "carol@example.com", "password": "secret1"})
	if status != http.StatusCreated {
		t.Fatalf("register on postgres: %d %v\n%s", status, reg, logs)
	}
	if !strings.Contains(logs.String(), "postgres") {
		t.Fatalf("start-up log does not name the postgres driver:\n%s", logs)
	}
}
