package handlers

import (
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/izpochat/server/chat"
	"github.com/izpochat/server/storage"
)

// LocalObjects serves files kept on local disk and checks their signed links.
type LocalObjects interface {
	http.Handler
	Verify(key string, q url.Values, now time.Time) bool
}

// UploadRoutes lists the upload endpoints, added through Deps.Extra. objects
// serves GET /uploads/<key> when files live on local disk (nil otherwise).
func UploadRoutes(svc *chat.Service, uploads *chat.Uploads, objects LocalObjects, log *slog.Logger) func(gin.IRouter) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &uploadHandlers{server: &server{chat: svc, log: log}, uploads: uploads}
	return func(r gin.IRouter) {
		if objects != nil {
			serve := h.serveObject(objects)
			r.GET("/uploads/*key", serve)
			r.HEAD("/uploads/*key", serve)
		}
		r.GET("/api/uploads/types/allowed", h.allowedTypes)

		authed := r.Group("", h.requireActor)
		authed.POST("/api/upload", h.uploadWithMessage)
		authed.POST("/api/uploads", h.upload)
		authed.GET("/api/uploads", h.myFiles)
		authed.GET("/api/uploads/:id", h.file)
		authed.GET("/api/uploads/:id/download", h.download)
		authed.DELETE("/api/uploads/:id", h.deleteFile)
		authed.GET("/api/files/:id", h.fileOrBytes)
		authed.GET("/api/files", h.myFiles)
		authed.GET("/api/users/me/files", h.myFiles)
		authed.GET("/api/rooms/:id/files", h.roomFiles)
	}
}

// serveObject serves a stored file: through a valid signed link (unless its room
// was deleted), or without one when the domain says the file is open to all (a
// public room's). Anything else
// is answered as missing, so a link does not tell a non-member the file exists.
func (h *uploadHandlers) serveObject(objects LocalObjects) gin.HandlerFunc {
	serve := http.StripPrefix("/uploads/", objects)
	return func(c *gin.Context) {
		key := strings.TrimPrefix(c.Param("key"), "/")
		q := c.Request.URL.Query()
		if storage.SignedRequest(q) {
			if !objects.Verify(key, q, time.Now()) {
				abortWith(c, http.StatusForbidden, "this file link is invalid or has expired")
				return
			}
			gone, err := h.chat.FileDeleted(c.Request.Context(), key)
			if err != nil {
				fail(c, h.log, err)
				return
			}
			if gone {
				abortWith(c, http.StatusNotFound, "file not found")
				return
			}
		} else {
			open, err := h.chat.FileOpenToAll(c.Request.Context(), key)
			if err != nil {
				fail(c, h.log, err)
				return
			}
			if !open {
				abortWith(c, http.StatusNotFound, "file not found")
				return
			}
		}
		serve.ServeHTTP(c.Writer, c.Request)
	}
}
