package handlers

import (
	"log/slog"

	"github.com/gin-gonic/gin"
)

// Routes lists the routes NewServer(d) registers (method and gin pattern), for
// tests that compare them with documentation.
func Routes(d Deps) gin.RoutesInfo {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	gin.SetMode(gin.ReleaseMode)
	engine := gin.New()
	addRoutes(engine, &server{cfg: d.Config, chat: d.Chat, log: d.Logger, deps: d})
	return engine.Routes()
}
