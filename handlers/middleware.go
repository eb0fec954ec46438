package handlers

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/izpochat/server/chat"
	"github.com/izpochat/server/clientip"
	"github.com/izpochat/server/config"
)

const (
	requestIDKey = "request_id"
	actorKey     = "actor"
)

// requestID gives every request an id (the caller's X-Request-ID when sane) that
// the logs and the response carry.
func requestID() gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader("X-Request-ID")
		if id == "" || len(id) > 64 {
			var b [8]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		c.Set(requestIDKey, id)
		c.Header("X-Request-ID", id)
		c.Next()
	}
}

// accessLog writes one structured line per request.
func accessLog(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		level := slog.LevelInfo
		if c.Writer.Status() >= 500 {
			level = slog.LevelError
		}
		log.Log(c.Request.Context(), level, "http request",
			"request_id", c.GetString(requestIDKey), "method", c.Request.Method, "route", route,
			"path", c.Request.URL.Path, "status", c.Writer.Status(), "duration_ms", float64(time.Since(start).Microseconds())/1000,
			"bytes", c.Writer.Size(), "remote", clientip.Of(c.Request))
	}
}

// recoverer turns a panic into the contract's 500 and logs it.
func recoverer(log *slog.Logger) gin.HandlerFunc {
	return gin.CustomRecoveryWithWriter(nil, func(c *gin.Context, err any) {
		log.ErrorContext(c.Request.Context(), "panic in handler", "request_id", c.GetString(requestIDKey), "panic", err)
		abortWith(c, http.StatusInternalServerError, "internal error")
	})
}

// cors answers preflights with 204 and marks allowed origins (config.OriginAllowed);
// nil origins allow all. It answers for every path, /socket.io/ included: the
// Socket.IO server's own CORS is off (sockets/sio_door.go), so one check decides.
func cors(allowed []string) gin.HandlerFunc {
	return func(c *gin.Context) {
		origin := c.GetHeader("Origin")
		ok := origin != "" && config.OriginAllowed(allowed, origin)
		if ok {
			h := c.Writer.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Credentials", "true")
			h.Set("Access-Control-Expose-Headers", "X-Request-ID, Content-Disposition")
			h.Add("Vary", "Origin")
		}
		if c.Request.Method == http.MethodOptions && c.GetHeader("Access-Control-Request-Method") != "" {
			if !ok {
				abortWith(c, http.StatusForbidden, "origin not allowed")
				return
			}
			h := c.Writer.Header()
			h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS")
			reqHeaders := c.GetHeader("Access-Control-Request-Headers")
			if reqHeaders == "" {
				reqHeaders = "Authorization, Content-Type, X-Request-ID"
			}
			h.Set("Access-Control-Allow-Headers", reqHeaders)
			h.Set("Access-Control-Max-Age", "600")
			c.AbortWithStatus(http.StatusNoContent)
			return
		}
		c.Next()
	}
}

// requireActor refuses a request without a valid token (401).
func (s *server) requireActor(c *gin.Context) {
	s.authenticate(c, c.GetHeader("Authorization"))
}

// requireActorOrQueryToken is requireActor that also takes the token from
// ?token= when no Authorization header is sent: the FastAPI generation read the
// online route's token from the query, as its WebSocket's.
func (s *server) requireActorOrQueryToken(c *gin.Context) {
	token := c.GetHeader("Authorization")
	if token == "" {
		token = c.Query("token")
	}
	s.authenticate(c, token)
}

func (s *server) authenticate(c *gin.Context, token string) {
	a, err := s.chat.Authenticate(c.Request.Context(), token)
	if err != nil {
		fail(c, s.log, err)
		return
	}
	c.Set(actorKey, a)
	c.Next()
}

// optionalActor reads a token when one is given; a bad one is still a 401.
func (s *server) optionalActor(c *gin.Context) {
	if c.GetHeader("Authorization") == "" {
		c.Next()
		return
	}
	s.requireActor(c)
}

func actorOf(c *gin.Context) chat.Actor {
	a, _ := c.Get(actorKey)
	actor, _ := a.(chat.Actor)
	return actor
}

func optionalActorOf(c *gin.Context) *chat.Actor {
	a, ok := c.Get(actorKey)
	if !ok {
		return nil
	}
	actor := a.(chat.Actor)
	return &actor
}
