package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"

	"github.com/izpochat/server/auth"
	"github.com/izpochat/server/chat"
	"github.com/izpochat/server/config"
	"github.com/izpochat/server/edge"
	"github.com/izpochat/server/handlers"
	"github.com/izpochat/server/models"
)

// app is everything run wires together, with what must be closed on the way out.
type app struct {
	handler http.Handler
	edge    *edge.Edge // bounds bodies, time and connections; run serves through its listener
	db      *gorm.DB
	log     *slog.Logger
	// drainers run first on shutdown (live connections told to reconnect).
	drainers []func(ctx context.Context)
	closers  []func() error
}

// part is what one concern (cluster, storage, sockets, metrics) adds to the app.
type part struct {
	checks []handlers.Check
	routes []func(gin.IRouter)
	drain  func(context.Context)
	close  func() error
}

func (a *app) add(p part, d *handlers.Deps) {
	d.Checks = append(d.Checks, p.checks...)
	d.Extra = append(d.Extra, p.routes...)
	if p.drain != nil {
		a.drainers = append(a.drainers, p.drain)
	}
	if p.close != nil {
		a.closers = append(a.closers, p.close)
	}
}

func newApp(ctx context.Context, cfg config.Config, log *slog.Logger) (_ *app, err error) {
	db, err := models.Open(ctx, cfg.Database, log)
	if err != nil {
		return nil, err
	}
	a := &app{db: db, log: log}
	a.closers = append(a.closers, func() error { return models.Close(db) })
	a.closers = append(a.closers, wireGC(cfg, log).close)
	defer func() {
		if err != nil {
			a.close()
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
	deps.Chat = service

	storagePart, err := wireStorage(ctx, cfg, log, service)
	if err != nil {
		return nil, err
	}
	a.add(storagePart, &deps)
	// Closed before the database: it stores what is still queued first.
	a.closers = append(a.closers, func() error { service.Close(); return nil })

	metrics, err := wireMetrics(cfg, log, db, service)
	if err != nil {
		return nil, err
	}
	a.add(metrics.part, &deps)
	deps.Metrics, deps.HTTPMetrics = metrics.handler, metrics.http

	sockets, err := wireSockets(ctx, cfg, log, service, cluster, metrics.recorder)
	if err != nil {
		return nil, err
	}
	a.add(sockets.part, &deps)
	deps.SocketIO, deps.RawWS = sockets.socketIO, sockets.rawWS

	if err := hub.Start(ctx); err != nil {
		return nil, fmt.Errorf("start fan-out: %w", err)
	}
	a.edge = wireEdge(cfg, log)
	a.handler = a.edge.Handler(handlers.NewServer(deps))
	return a, nil
}

// drain tells live connections the server is going away.
func (a *app) drain(ctx context.Context) {
	for _, d := range a.drainers {
		d(ctx)
	}
}

// close releases everything in reverse order of creation.
func (a *app) close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		if err := a.closers[i](); err != nil {
			a.log.Warn("close", "err", err)
		}
	}
	a.closers = nil
}
