package handlers

import (
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

// HTTPObserver records one finished HTTP request (metrics.Metrics implements it).
type HTTPObserver interface {
	ObserveHTTP(method, route string, status int, d time.Duration)
}

// httpMetrics times every request by route pattern and status. Socket.IO and raw
// WebSocket requests are left out: a long-poll or an upgraded connection lasts
// as long as the client stays, which would swamp the durations (the sockets
// door reports its own metrics).
func httpMetrics(o HTTPObserver) gin.HandlerFunc {
	if o == nil {
		return func(c *gin.Context) { c.Next() }
	}
	return func(c *gin.Context) {
		if strings.HasPrefix(c.Request.URL.Path, "/socket.io/") {
			c.Next()
			return
		}
		start := time.Now()
		c.Next()
		route := c.FullPath()
		switch {
		case route == "/api/ws/:room_id":
			return
		case route == "":
			route = "unmatched" // never the raw path: it would make labels unbounded
		}
		o.ObserveHTTP(c.Request.Method, route, c.Writer.Status(), time.Since(start))
	}
}
