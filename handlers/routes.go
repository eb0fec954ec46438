package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/izpochat/server/web"
)

// addRoutes is the one place that lists every route of the service.
func addRoutes(r *gin.Engine, s *server) {
	if s.deps.SocketIO != nil {
		// Socket.IO answers its own CORS from the same configuration.
		r.Any("/socket.io/*any", gin.WrapH(s.deps.SocketIO))
	}

	r.NoRoute(func(c *gin.Context) { abortWith(c, http.StatusNotFound, "not found") })
	r.NoMethod(func(c *gin.Context) { abortWith(c, http.StatusMethodNotAllowed, "method not allowed") })

	api := r.Group("")

	api.GET("/", s.index)
	if s.deps.WebClient != nil {
		api.GET(web.AssetRoute, gin.WrapF(s.deps.WebClient.ServeAsset))
	}
	api.GET("/health", s.health)
	api.GET("/api/status", s.status)
	api.GET("/openapi.json", s.openAPIHandler())
	api.GET("/docs", s.docs)
	api.GET("/docs/redoc.standalone.js", s.redocBundle())
	if s.deps.Metrics != nil {
		api.GET("/metrics", gin.WrapH(s.deps.Metrics))
	}

	api.POST("/api/users/register", s.register)
	api.POST("/api/register", s.register)
	api.POST("/api/users/login", s.login)
	api.POST("/api/login", s.login)

	authed := api.Group("", s.requireActor)
	authed.GET("/api/users/me", s.me)
	authed.PUT("/api/users/me", s.updateMe)
	authed.GET("/api/users/me/rooms", s.myRooms)
	authed.GET("/api/users", s.users)
	authed.GET("/api/users/search", s.searchUsers)
	authed.GET("/api/users/username/:username", s.userByUsername)
	authed.GET("/api/users/:id", s.userByID)

	api.GET("/api/rooms", s.optionalActor, s.rooms)
	authed.POST("/api/rooms", s.createRoom)
	authed.GET("/api/rooms/:id", s.room)
	authed.PUT("/api/rooms/:id", s.updateRoom)
	authed.DELETE("/api/rooms/:id", s.deleteRoom)
	authed.POST("/api/rooms/:id/join", s.joinRoom)
	authed.POST("/api/rooms/:id/leave", s.leaveRoom)
	authed.GET("/api/rooms/:id/members", s.members)
	authed.POST("/api/rooms/:id/members", s.addMember)
	authed.DELETE("/api/rooms/:id/members/:user_id", s.removeMember)
	authed.PUT("/api/rooms/:id/members/:user_id", s.setRole)
	authed.POST("/api/rooms/:id/read", s.markRead)
	authed.GET("/api/rooms/:id/reads", s.roomReads)
	authed.GET("/api/rooms/:id/messages", s.messages)
	authed.POST("/api/rooms/:id/messages", s.postMessage)
	authed.PATCH("/api/messages/:id", s.editMessage)
	authed.DELETE("/api/messages/:id", s.deleteMessage)
	authed.GET("/api/search/messages", s.searchMessages)
	authed.POST("/api/messages/:id/reactions", s.addReaction)
	authed.DELETE("/api/messages/:id/reactions/:emoji", s.removeReaction)

	authed.POST("/api/conversations", s.startConversation)
	authed.POST("/api/conversations/initiate", s.initiateConversation)
	authed.GET("/api/conversations", s.conversations)
	authed.GET("/api/conversations/:id/messages", s.messages)

	api.GET("/api/ws/rooms/:id/online", s.requireActorOrQueryToken, s.online)
	if s.deps.RawWS != nil {
		// The raw WebSocket authenticates from its own query token.
		r.GET("/api/ws/:room_id", gin.WrapH(s.deps.RawWS))
	}

	if s.deps.Uploads != nil {
		u := &uploadHandlers{server: s, uploads: s.deps.Uploads}
		if s.deps.Objects != nil {
			serve := u.serveObject(s.deps.Objects)
			api.GET("/uploads/*key", serve)
			api.HEAD("/uploads/*key", serve)
		}
		api.GET("/api/uploads/types/allowed", u.allowedTypes)
		authed.POST("/api/upload", u.uploadWithMessage)
		authed.POST("/api/uploads", u.upload)
		authed.GET("/api/uploads", u.myFiles)
		authed.GET("/api/uploads/:id", u.file)
		authed.GET("/api/uploads/:id/download", u.download)
		authed.DELETE("/api/uploads/:id", u.deleteFile)
		authed.GET("/api/files/:id", u.fileOrBytes)
		authed.GET("/api/files", u.myFiles)
		authed.GET("/api/users/me/files", u.myFiles)
		authed.GET("/api/rooms/:id/files", u.roomFiles)
	}
}
