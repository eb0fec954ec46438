package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/izpochat/server/auth"
	"github.com/izpochat/server/chat"
	"github.com/izpochat/server/config"
	"github.com/izpochat/server/handlers"
	"github.com/izpochat/server/models"
	"gorm.io/gorm"
)

// app is everything run wires together, with what must be closed on the way out.
type app struct {
	handler http.Handler
	db      *gorm.DB
	log     *slog.Logger
	// drainers run first on shutdown (live connections told to reconnect).
	drainers []func(ctx context.Context)
	closers  []func() error
}

func newApp(ctx context.Context, cfg config.Config, log *slog.Logger) (*app, error) {
	db, err := models.Open(ctx, cfg.Database, log)
	if err != nil {
		return nil, err
	}
	a := &app{db: db, log: log}
	a.closers = append(a.closers, func() error { return models.Close(db) })
	if err := models.Migrate(ctx, db); err != nil {
		a.close()
		return nil, err
	}
	store := models.NewStore(db)
	hub := chat.NewHub(cfg.InstanceID, nil)
	service := chat.New(chat.Deps{
		Store:  store,
		Tokens: auth.NewTokens(cfg.JWTSecret, cfg.TokenTTL),
		Hub:    hub,
		Limits: chat.Limits{MaxMessageLength: cfg.MaxMessageLength},
		Logger: log,
	})
	if err := hub.Start(ctx); err != nil {
		a.close()
		return nil, fmt.Errorf("start fan-out: %w", err)
	}
	a.handler = handlers.NewServer(handlers.Deps{
		Config: cfg,
		Chat:   service,
		Logger: log,
		Checks: []handlers.Check{{Name: "database", Critical: true, Probe: func(ctx context.Context) error { return models.Ping(ctx, db) }}},
	})
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
