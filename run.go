package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/izpochat/server/config"
	"github.com/izpochat/server/internal/wiring"
)

// version is stamped by build.sh (-ldflags "-X main.version=...").
var version = ""

// run is the whole program: main only adds the process's signals, arguments,
// environment and output, so tests drive it directly.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet(args[0], flag.ContinueOnError)
	flags.SetOutput(stderr)
	envFile := flags.String("env-file", ".env", "a .env file to read when present (the real environment wins)")
	showVersion := flags.Bool("version", false, "print the version and exit")
	migrateOnly := flags.Bool("migrate-only", false, "migrate the database and exit (same as the migrate command)")
	if err := flags.Parse(args[1:]); err != nil {
		return err
	}
	switch rest := flags.Args(); {
	case len(rest) == 1 && rest[0] == "migrate":
		*migrateOnly = true
	case len(rest) > 0:
		return fmt.Errorf("unknown command %q (the only command is migrate)", rest[0])
	}
	if *showVersion {
		fmt.Fprintln(stdout, buildVersion())
		return nil
	}

	cfg, err := config.Load(getenv, *envFile)
	if err != nil {
		return err
	}
	cfg.Version = buildVersion()
	log := newLogger(cfg, stdout)
	for _, w := range cfg.Warnings {
		log.Warn(w)
	}
	if *migrateOnly {
		return migrateAndExit(ctx, cfg, log)
	}
	log.Info("starting izpochat", "version", cfg.Version, "config", cfg.Redacted())

	a, err := wiring.New(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()

	ln, err := net.Listen("tcp", net.JoinHostPort("", strconv.Itoa(cfg.Port)))
	if err != nil {
		return fmt.Errorf("listen on port %d: %w", cfg.Port, err)
	}
	srv := &http.Server{
		Handler:     a.Handler,
		IdleTimeout: 120 * time.Second,
		ErrorLog:    slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	a.Edge.Configure(srv) // header timeout, connection caps
	served := make(chan error, 1)
	go func() { served <- srv.Serve(a.Edge.Listener(ln)) }()
	log.Info("listening", "addr", ln.Addr().String())

	select {
	case err := <-served:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	return shutdown(srv, a, cfg.ShutdownTimeout, log)
}

// shutdown stops accepting, tells live clients to reconnect elsewhere, lets
// in-flight requests finish, then closes the app (database last).
func shutdown(srv *http.Server, a *wiring.App, timeout time.Duration, log *slog.Logger) error {
	log.Info("shutting down", "timeout", timeout)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	srv.SetKeepAlivesEnabled(false)
	shutdownErr := make(chan error, 1)
	go func() { shutdownErr <- srv.Shutdown(ctx) }()
	a.Drain(ctx)
	err := <-shutdownErr
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err != nil {
		log.Warn("shutdown timed out; closing remaining connections")
		_ = srv.Close()
	}
	log.Info("stopped")
	return nil
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogJSON {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// buildVersion is the stamped version, else the VCS revision Go recorded, else "dev".
func buildVersion() string {
	if version != "" {
		return version
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 7 {
				return s.Value[:7]
			}
		}
	}
	return "dev"
}
