package wiring

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"gorm.io/gorm"

	"github.com/izpochat/server/chat"
	"github.com/izpochat/server/config"
	"github.com/izpochat/server/handlers"
	"github.com/izpochat/server/metrics"
)

// metricsPart is observability: the registry, GET /metrics and the HTTP timer.
type metricsPart struct {
	part
	metrics  *metrics.Metrics
	recorder metrics.Recorder      // for the real-time doors
	handler  http.Handler          // GET /metrics, guarded by METRICS_TOKEN
	http     handlers.HTTPObserver // times every request
}

func wireMetrics(cfg config.Config, log *slog.Logger, db *gorm.DB, service *chat.Service) (metricsPart, error) {
	sqlDB, err := db.DB()
	if err != nil {
		return metricsPart{}, fmt.Errorf("metrics: database handle: %w", err)
	}
	m, err := metrics.New(metrics.Options{DB: sqlDB, DBName: cfg.Database.Driver, Version: cfg.Version})
	if err != nil {
		return metricsPart{}, fmt.Errorf("metrics: %w", err)
	}
	if cfg.MetricsToken == "" && cfg.Production {
		log.Warn("METRICS_TOKEN is not set: /metrics is open to anyone")
	}

	// Every stored message is published once, by the instance that stored it;
	// other instances' events arrive through the broker and are only timed.
	hub := service.Hub()
	stopListening := hub.Listen(func(ev chat.Event) {
		if ev.Type != chat.EventMessage || ev.Message == nil {
			return
		}
		if ev.Origin == hub.Origin() {
			m.MessageStored()
		}
		// Clocks of two instances may disagree by a little: never a negative latency.
		m.ObserveFanout(max(0, time.Since(time.Time(ev.Message.CreatedAt))))
	})
	return metricsPart{
		part:     part{close: func() error { stopListening(); return nil }},
		metrics:  m,
		recorder: m,
		handler:  metrics.RequireToken(cfg.MetricsToken, m.Handler()),
		http:     m,
	}, nil
}
