// Package handlers is the HTTP door: it translates REST requests into calls of the
// domain core and its answers into the contract's JSON. It decides no policy.
package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/izpochat/server/chat"
	"github.com/izpochat/server/config"
	"github.com/izpochat/server/web"
)

// Check probes one dependency for /health. A failed critical check makes the
// service unhealthy (503); any other failed check makes it degraded (200).
type Check struct {
	Name     string
	Critical bool
	Probe    func(ctx context.Context) error
}

// Deps are what the HTTP door needs; main wires them.
type Deps struct {
	Config   config.Config
	Chat     *chat.Service
	Logger   *slog.Logger
	Checks   []Check
	SocketIO http.Handler // mounted at /socket.io/ (nil: not mounted)
	RawWS    http.Handler // serves /api/ws/{room_id} upgrades (nil: not mounted)
	// Uploads serves the upload routes (nil: not mounted).
	Uploads *chat.Uploads
	// Objects serves GET /uploads/<key> when files live on local disk (nil: not mounted).
	Objects LocalObjects
	// Metrics serves GET /metrics (nil: not mounted); it guards itself with METRICS_TOKEN.
	Metrics http.Handler
	// HTTPMetrics times every request (nil: not timed).
	HTTPMetrics HTTPObserver
	// WebClient is the browser client served at / to browsers (nil: WEB_CLIENT=off,
	// browsers get the page of links).
	WebClient *web.Client
}

type server struct {
	cfg  config.Config
	chat *chat.Service
	log  *slog.Logger
	deps Deps
}

// NewServer builds the whole HTTP surface: REST, Socket.IO and the raw WebSocket.
func NewServer(d Deps) http.Handler {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	s := &server{cfg: d.Config, chat: d.Chat, log: d.Logger, deps: d}
	gin.SetMode(gin.ReleaseMode)
	engine := gin.New()
	// Every route answers with and without a trailing slash, never by redirect:
	// a redirected POST loses its body in some clients. withoutTrailingSlash below
	// does the work; gin must not redirect first.
	engine.RedirectTrailingSlash = false
	engine.RedirectFixedPath = false
	engine.HandleMethodNotAllowed = true
	engine.ContextWithFallback = true
	// Global middleware also runs for unmatched routes, so CORS preflights are
	// answered for every path.
	// httpMetrics is outermost so it sees the 500 recoverer writes after a panic.
	engine.Use(httpMetrics(d.HTTPMetrics), recoverer(s.log), requestID(), accessLog(s.log), cors(s.cfg.AllowedOrigins))
	addRoutes(engine, s)
	return withoutTrailingSlash(engine)
}

// withoutTrailingSlash routes "/api/rooms/" as "/api/rooms". The Socket.IO path
// keeps its slash: the engine is mounted at "/socket.io/".
func withoutTrailingSlash(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if len(p) > 1 && strings.HasSuffix(p, "/") && !strings.HasPrefix(p, "/socket.io/") {
			r.URL.Path = strings.TrimRight(p, "/")
			if r.URL.Path == "" {
				r.URL.Path = "/"
			}
			r.URL.RawPath = ""
		}
		next.ServeHTTP(w, r)
	})
}
