// Package testapp serves the whole server as main wires it (wiring.New) over
// loopback HTTP, on a fresh database of each kind, for tests of every door.
// The configuration is production's (config.Load with nothing set but the data
// directory) except for the few things Config says, so every test runs the
// access cache, the edge, the metrics and the storage production runs; a test
// that needs another setting says so with an Option.
package testapp

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/izpochat/server/config"
	"github.com/izpochat/server/internal/testdb"
	"github.com/izpochat/server/internal/testkit"
	"github.com/izpochat/server/internal/wiring"
)

// Secret is the JWT secret of every test app, so a test can sign its own tokens.
var Secret = []byte("testapp-jwt-secret-0123456789abcdef")

// Option changes one test's app: its configuration, or what wiring takes beyond it.
type Option func(*settings)

type settings struct {
	cfg    config.Config
	wiring []wiring.Option
}

// WithConfig changes the configuration.
func WithConfig(change func(*config.Config)) Option {
	return func(s *settings) { change(&s.cfg) }
}

// WithWiring passes o to wiring.New (e.g. wiring.WithSocketOptions).
func WithWiring(o wiring.Option) Option {
	return func(s *settings) { s.wiring = append(s.wiring, o) }
}

// App is the wired server, served over loopback HTTP.
type App struct {
	*wiring.App
	Config config.Config
	Server *httptest.Server
	URL    string                // http://127.0.0.1:port
	Logs   *testkit.LockedBuffer // the app's log output, for tests that assert on warnings
}

// WSURL is path on the app as a ws:// URL.
func (a *App) WSURL(path string) string { return "ws" + strings.TrimPrefix(a.URL, "http") + path }

// Config is production's configuration on a fresh database of driver, a data
// directory of the test's own and these differences, each because tests need it:
//   - no request rates (tests register, log in and post fast from one address;
//     the tests of a limit set it with WithRates) and 1,000 socket events/s;
//   - no practical wait for a password hash (bcrypt is slow under -race on a
//     shared machine; the tests of the bound set their own);
//   - the GC pacer off (it sets a process-wide knob that parallel apps would fight over);
//   - a fixed JWT secret (Secret) and version "test".
func Config(t testing.TB, driver string) config.Config {
	t.Helper()
	env := map[string]string{"DATA_DIR": t.TempDir(), "JWT_SECRET_KEY": string(Secret), "LOG_LEVEL": "warn"}
	cfg, err := config.Load(func(k string) string { return env[k] }, "")
	if err != nil {
		t.Fatalf("testapp: load config: %v", err)
	}
	cfg.Version = "test"
	cfg.Database = testdb.Config(t, driver)
	cfg.Rates = config.RequestRates{MaxKeys: cfg.Rates.MaxKeys}
	cfg.RateLimit = config.RateLimit{EventsPerSecond: 1000, Burst: 1000}
	cfg.Passwords.HashWait = 10 * time.Minute
	cfg.GC.Percent = 0
	return cfg
}

// Start serves the app wired from Config(t, driver) changed by opts; it is
// drained and closed when the test ends.
func Start(t testing.TB, driver string, opts ...Option) *App {
	t.Helper()
	s := settings{cfg: Config(t, driver)}
	for _, o := range opts {
		o(&s)
	}
	return StartConfig(t, s.cfg, s.wiring...)
}

// StartConfig serves the app wired from cfg as it is.
func StartConfig(t testing.TB, cfg config.Config, opts ...wiring.Option) *App {
	t.Helper()
	logs := &testkit.LockedBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: cfg.LogLevel}))
	// The listener comes first: with Redis, the other instances reach this one at its address.
	srv := httptest.NewUnstartedServer(nil)
	cfg.InstanceAddr = srv.Listener.Addr().String()
	wired, err := wiring.New(context.Background(), cfg, log, opts...)
	if err != nil {
		srv.Close()
		t.Fatalf("testapp: wire the app: %v", err)
	}
	srv.Config.Handler = wired.Handler
	wired.Edge.Configure(srv.Config) // as run does: header timeout, connection caps
	srv.Listener = wired.Edge.Listener(srv.Listener)
	srv.Start()
	a := &App{App: wired, Config: cfg, Server: srv, URL: srv.URL, Logs: logs}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		wired.Drain(ctx)
		srv.Close()
		wired.Close()
	})
	return a
}

// WithOrigins sets ALLOWED_ORIGINS.
func WithOrigins(origins ...string) Option {
	return WithConfig(func(c *config.Config) { c.AllowedOrigins = origins })
}

// WithMaxMessageLength sets MAX_MESSAGE_LENGTH.
func WithMaxMessageLength(n int) Option {
	return WithConfig(func(c *config.Config) { c.MaxMessageLength = n })
}

// WithRates sets the per-IP and per-user request rates (Config has none).
func WithRates(r config.RequestRates) Option {
	return WithConfig(func(c *config.Config) {
		if r.MaxKeys == 0 {
			r.MaxKeys = c.Rates.MaxKeys
		}
		c.Rates = r
	})
}

// WithPasswordBudget sets HASH_MEMORY_MB and HASH_WAIT.
func WithPasswordBudget(memoryMB int, wait time.Duration) Option {
	return WithConfig(func(c *config.Config) { c.Passwords = config.Passwords{HashMemoryMB: memoryMB, HashWait: wait} })
}

// WithSocketEventRate sets the per-connection Socket.IO event rate (Config: 1,000/s).
func WithSocketEventRate(perSecond float64, burst int) Option {
	return WithConfig(func(c *config.Config) { c.RateLimit = config.RateLimit{EventsPerSecond: perSecond, Burst: burst} })
}

// WithSendQueue sets SOCKET_SEND_QUEUE.
func WithSendQueue(n int) Option {
	return WithConfig(func(c *config.Config) { c.SocketIO.SendQueue = n })
}

// WithMetricsToken sets METRICS_TOKEN.
func WithMetricsToken(token string) Option {
	return WithConfig(func(c *config.Config) { c.MetricsToken = token })
}
