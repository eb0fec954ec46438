// Package wiring builds the whole server from its configuration: the one
// place the parts (database, chat, cluster, storage, metrics, the doors, the
// HTTP edge) are put together. main runs what New returns; the test kit
// (internal/testkit) serves the same, so tests run the production wiring.
package wiring

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"gorm.io/gorm"

	"github.com/izpochat/server/auth"
	"github.com/izpochat/server/chat"
	"github.com/izpochat/server/config"
	"github.com/izpochat/server/edge"
	"github.com/izpochat/server/handlers"
	"github.com/izpochat/server/internal/gcpacer"
	"github.com/izpochat/server/metrics"
	"github.com/izpochat/server/models"
	"github.com/izpochat/server/sockets"
)

// App is everything New wires together, with what must be closed on the way out.
type App struct {
	Handler http.Handler
	Edge    *edge.Edge // bounds bodies, time and connections; serve through its Listener
	DB      *gorm.DB
	Chat    *chat.Service
	Sockets *sockets.Server  // the real-time doors
	Metrics *metrics.Metrics // what GET /metrics serves
	log     *slog.Logger
	// drainers run first on shutdown (live connections told to reconnect).
	drainers []func(ctx context.Context)
	closers  []func() error
}

// part is what one concern (cluster, storage, sockets, metrics) adds to the app.
type part struct {
	checks []handlers.Check
	drain  func(context.Context)
	close  func() error
}

func (a *App) add(p part, d *handlers.Deps) {
	d.Checks = append(d.Checks, p.checks...)
	if p.drain != nil {
		a.drainers = append(a.drainers, p.drain)
	}
	if p.close != nil {
		a.closers = append(a.closers, p.close)
	}
}

// New opens the database, migrates it and wires every part from cfg. Close
// releases what it opened, also when New fails half-way.
func New(ctx context.Context, cfg config.Config, log *slog.Logger, opts ...Option) (_ *App, err error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	db, err := models.Open(ctx, cfg.Database, log)
	if err != nil {
		return nil, err
	}
	a := &App{DB: db, log: log}
	a.closers = append(a.closers, func() error { return models.Close(db) })
	// Idle real-time connections are most of a busy server's heap (see gcpacer).
	stopGC := gcpacer.Start(cfg.GC, log)
	a.closers = append(a.closers, func() error { stopGC(); return nil })
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	if err := models.Migrate(ctx, db); err != nil {
		return nil, err
	}
	store := models.NewStore(db)
	deps := handlers.Deps{
		Config: cfg,
		Logger: log,
		Checks: []handlers.Check{{Name: "database", Critical: true, Probe: func(ctx context.Context) error { return models.Ping(ctx, db) }}},
	}

	cluster, err := wireCluster(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	a.add(cluster.part, &deps)
	hub := chat.NewHub(cfg.InstanceID, cluster.broker)
	service := chat.New(chat.Deps{
		Store:  store,
		Tokens: auth.NewTokens(cfg.JWTSecret, cfg.TokenTTL),
		// Every password hash and check shares this memory budget.
		Passwords: auth.NewPasswords(cfg.Passwords.HashMemoryMB, cfg.Passwords.HashWait),
		Hub:       hub,
		Presence:  cluster.presence,
		Limits:    chat.Limits{MaxMessageLength: cfg.MaxMessageLength},
		// Changes on this instance are seen at once; other instances' within the TTL.
		AccessTTL:    chat.DefaultAccessTTL,
		UserTTL:      chat.DefaultUserTTL,
		WriteTimeout: cfg.Database.WriteTimeout,
		Logger:       log,
		RateLimits:   rateLimits(cfg.Rates),
		Limiter:      limiter(cfg, cluster),
		HistoryCache: chat.HistoryCacheBounds{Rooms: cfg.HistoryCache.Rooms, Bytes: cfg.HistoryCache.Bytes},
	})
	deps.Chat, a.Chat = service, service

	storagePart, err := wireStorage(ctx, cfg, log, service)
	if err != nil {
		return nil, err
	}
	a.add(storagePart.part, &deps)
	deps.Uploads, deps.Objects = storagePart.uploads, storagePart.objects
	// Closed before the database: it stores what is still queued first.
	a.closers = append(a.closers, func() error { service.Close(); return nil })

	metrics, err := wireMetrics(cfg, log, db, service)
	if err != nil {
		return nil, err
	}
	a.add(metrics.part, &deps)
	deps.Metrics, deps.HTTPMetrics = metrics.handler, metrics.http
	a.Metrics = metrics.metrics

	sockets, err := wireSockets(ctx, cfg, log, service, cluster, metrics.recorder, o.sockets)
	if err != nil {
		return nil, err
	}
	a.add(sockets.part, &deps)
	deps.SocketIO, deps.RawWS = sockets.srv.SocketIO(), sockets.srv.RawWS()
	a.Sockets = sockets.srv

	if err := hub.Start(ctx); err != nil {
		return nil, fmt.Errorf("start fan-out: %w", err)
	}
	if deps.WebClient, err = wireWebClient(cfg); err != nil {
		return nil, err
	}
	a.Edge = wireEdge(cfg, log)
	a.Handler = a.Edge.Handler(handlers.NewServer(deps))
	return a, nil
}

// Drain tells live connections the server is going away.
func (a *App) Drain(ctx context.Context) {
	for _, d := range a.drainers {
		d(ctx)
	}
}

// Close releases everything in reverse order of creation.
func (a *App) Close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		if err := a.closers[i](); err != nil {
			a.log.Warn("close", "err", err)
		}
	}
	a.closers = nil
}
