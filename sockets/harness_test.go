package sockets_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/izpochat/server/auth"
	"github.com/izpochat/server/chat"
	"github.com/izpochat/server/config"
	"github.com/izpochat/server/handlers"
	"github.com/izpochat/server/internal/testdb"
	"github.com/izpochat/server/metrics"
	"github.com/izpochat/server/models"
	"github.com/izpochat/server/sockets"
)

var testSecret = []byte("sockets-test-secret")

// app is the whole HTTP surface (REST, Socket.IO, raw WebSocket) over loopback,
// wired as app.go wires it.
type app struct {
	t       *testing.T
	db      *gorm.DB
	srv     *httptest.Server
	service *chat.Service
	doors   *sockets.Server
	logs    *logBuffer
}

type appOption func(*sockets.Options, *config.Config)

func withRate(perSecond float64, burst int) appOption {
	return func(o *sockets.Options, _ *config.Config) {
		o.RateLimit = config.RateLimit{EventsPerSecond: perSecond, Burst: burst}
	}
}

func withSendQueue(n int) appOption {
	return func(o *sockets.Options, _ *config.Config) { o.SocketIO.SendQueue = n }
}

func withWriteTimeout(d time.Duration) appOption {
	return func(o *sockets.Options, _ *config.Config) { o.WriteTimeout = d }
}

func withOrigins(origins ...string) appOption {
	return func(o *sockets.Options, c *config.Config) { o.AllowedOrigins, c.AllowedOrigins = origins, origins }
}

// withMetrics records into m and serves it at GET /metrics.
func withMetrics(m *metrics.Metrics) appOption {
	return func(o *sockets.Options, _ *config.Config) { o.Metrics = m }
}

// withRates sets the per-IP and per-user rate limits (the harness has none).
func withRates(r config.RequestRates) appOption {
	return func(_ *sockets.Options, c *config.Config) { c.Rates = r }
}

func withMaxMessageLength(n int) appOption {
	return func(_ *sockets.Options, c *config.Config) { c.MaxMessageLength = n }
}

// logBuffer collects log output so tests can assert on warnings.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func newApp(t *testing.T, driver string, opts ...appOption) *app {
	t.Helper()
	db := testdb.Open(t, driver)
	cfg := config.Config{Version: "test", MaxMessageLength: 5000, TokenTTL: time.Hour, JWTSecret: testSecret}
	so := sockets.Options{
		SocketIO:  config.SocketIO{PingInterval: 25 * time.Second, PingTimeout: 20 * time.Second, MaxPayload: 1_000_000, RecoveryWindow: 2 * time.Minute, SendQueue: 1024},
		RateLimit: config.RateLimit{EventsPerSecond: 1000, Burst: 1000},
	}
	for _, o := range opts {
		o(&so, &cfg)
	}
	logs := &logBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	service := chat.New(chat.Deps{
		Store:      models.NewStore(db),
		Tokens:     auth.NewTokens(cfg.JWTSecret, cfg.TokenTTL),
		Hub:        testHub(t, cfg), // through Redis with withRedis
		Limits:     chat.Limits{MaxMessageLength: cfg.MaxMessageLength},
		Logger:     log,
		RateLimits: chatRates(cfg.Rates),
	})
	so.Service, so.Logger = service, log
	doors, err := sockets.New(context.Background(), so)
	if err != nil {
		t.Fatalf("sockets.New: %v", err)
	}
	deps := handlers.Deps{Config: cfg, Chat: service, Logger: log, SocketIO: doors.SocketIO(), RawWS: doors.RawWS()}
	if m, ok := so.Metrics.(*metrics.Metrics); ok {
		deps.Metrics = m.Handler()
	}
	handler := handlers.NewServer(deps)
	a := &app{t: t, db: db, srv: httptest.NewServer(handler), service: service, doors: doors, logs: logs}
	t.Cleanup(func() {
		doors.Drain(context.Background())
		a.srv.Close()
		_ = doors.Close()
	})
	return a
}

// chatRates is the configured rates as the domain's rules, as app.go converts them.
func chatRates(r config.RequestRates) chat.RateLimits {
	rule := func(r config.Rate) chat.Rule { return chat.Rule{Burst: r.Burst, Per: r.Per} }
	return chat.RateLimits{LoginPerIP: rule(r.LoginPerIP), LoginPerAccount: rule(r.LoginPerAccount),
		RegisterPerIP: rule(r.RegisterPerIP), RegisterPerAccount: rule(r.RegisterPerAccount),
		PostPerUser: rule(r.PostPerUser), UploadPerUser: rule(r.UploadPerUser), ConnectPerIP: rule(r.ConnectPerIP)}
}

// user is a registered account.
type user struct {
	ID       int64
	Username string
	Token    string
}

func (a *app) do(method, path, token string, body any) (int, []byte) {
	a.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, a.srv.URL+path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, out
}

func (a *app) mustJSON(method, path, token string, body any, want int) map[string]any {
	a.t.Helper()
	status, out := a.do(method, path, token, body)
	if status != want {
		a.t.Fatalf("%s %s: status %d, want %d: %s", method, path, status, want, out)
	}
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		a.t.Fatalf("%s %s: not a JSON object: %s", method, path, out)
	}
	return m
}

func (a *app) register(name string) user {
	a.t.Helper()
	m := a.mustJSON("POST", "/api/users/register", "", map[string]any{
		"username": name, "email": strings.ToLower(name) + "@example.com", "password": "secret-" + name, "full_name": "Full " + name,
	}, http.StatusCreated)
	return user{ID: int64(m["user_id"].(float64)), Username: name, Token: m["access_token"].(string)}
}

func (a *app) createRoom(owner user, name string, private bool) int64 {
	a.t.Helper()
	m := a.mustJSON("POST", "/api/rooms", owner.Token, map[string]any{"name": name, "is_private": private}, http.StatusCreated)
	return int64(m["id"].(float64))
}

func (a *app) postREST(u user, roomID int64, content string) map[string]any {
	a.t.Helper()
	return a.mustJSON("POST", fmt.Sprintf("/api/rooms/%d/messages", roomID), u.Token, map[string]any{"content": content}, http.StatusCreated)
}

func (a *app) wsURL(path string) string {
	return "ws" + strings.TrimPrefix(a.srv.URL, "http") + path
}

// countMessages counts the stored messages of a room.
func (a *app) countMessages(roomID int64) int64 {
	a.t.Helper()
	var n int64
	if err := a.db.Table("messages").Where("room_id = ?", roomID).Count(&n).Error; err != nil {
		a.t.Fatalf("count messages: %v", err)
	}
	return n
}
