package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/izpochat/server/storage"
)

// LocalObjects serves files kept on local disk and checks their signed links.
type LocalObjects interface {
	http.Handler
	Verify(key string, q url.Values, now time.Time) bool
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
