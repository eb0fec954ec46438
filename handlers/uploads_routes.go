package handlers

import (
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/izpochat/server/chat"
)

// UploadRoutes lists the upload endpoints, added through Deps.Extra. objects
// serves GET /uploads/<key> when files live on local disk (nil otherwise).
func UploadRoutes(svc *chat.Service, uploads *chat.Uploads, objects http.Handler, log *slog.Logger) func(gin.IRouter) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &uploadHandlers{server: &server{chat: svc, log: log}, uploads: uploads}
	return func(r gin.IRouter) {
		if objects != nil {
			serve := gin.WrapH(http.StripPrefix("/uploads/", objects))
			r.GET("/uploads/*key", serve)
			r.HEAD("/uploads/*key", serve)
		}
		r.GET("/api/uploads/types/allowed", h.allowedTypes)

		authed := r.Group("", h.requireActor)
		authed.POST("/api/upload", h.uploadWithMessage)
		authed.POST("/api/uploads", h.upload)
		authed.GET("/api/uploads/:id", h.file)
		authed.DELETE("/api/uploads/:id", h.deleteFile)
		authed.GET("/api/files/:id", h.file)
		authed.GET("/api/files", h.myFiles)
		authed.GET("/api/users/me/files", h.myFiles)
		authed.GET("/api/rooms/:id/files", h.roomFiles)
	}
}
