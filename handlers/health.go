package handlers

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/izpochat/server/chat"
)

const healthTimeout = 2 * time.Second

// health probes every dependency within a timeout: 503 when a critical one
// (the database) is down, "degraded" when an optional one (Redis) is.
func (s *server) health(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), healthTimeout)
	defer cancel()
	body := gin.H{"status": "healthy", "database": "connected", "version": s.cfg.Version,
		"timestamp": chat.Time(chat.Now())}
	checks := gin.H{}
	status := http.StatusOK
	for _, check := range s.deps.Checks {
		err := check.Probe(ctx)
		if err == nil {
			checks[check.Name] = "ok"
			continue
		}
		s.log.WarnContext(ctx, "health check failed", "check", check.Name, "err", err)
		checks[check.Name] = "down"
		if check.Critical {
			status = http.StatusServiceUnavailable
			body["status"] = "unhealthy"
			body["error"] = check.Name + " unavailable"
			if check.Name == "database" {
				body["database"] = "disconnected"
			}
		} else if body["status"] == "healthy" {
			body["status"] = "degraded"
		}
	}
	body["checks"] = checks
	c.JSON(status, body)
}

func (s *server) status(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "running", "version": s.cfg.Version, "websocket_enabled": true,
		"timestamp": chat.Time(chat.Now())})
}
