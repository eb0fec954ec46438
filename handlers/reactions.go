package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/izpochat/server/chat"
)

// Reactions to a message (issue 23.4); chat decides who may and which emoji.

type reactionRequest struct {
	Emoji *string `json:"emoji"`
}

// addReaction: POST /api/messages/{id}/reactions {emoji} → the message's
// reactions as the caller now sees them (200 also when it was there already).
func (s *server) addReaction(c *gin.Context) {
	s.withRoomID(c, func(id int64) (any, int, error) {
		var req reactionRequest
		if err := bindJSON(c, &req, false); err != nil {
			return nil, 0, err
		}
		if req.Emoji == nil {
			return nil, 0, chat.Invalid("emoji is required")
		}
		out, err := s.chat.AddReaction(c.Request.Context(), actorOf(c), id, *req.Emoji)
		return out, http.StatusOK, err
	})
}

// removeReaction: DELETE /api/messages/{id}/reactions/{emoji} (the emoji
// percent-encoded) → the message's reactions as the caller now sees them
// (200 also when it was not there).
func (s *server) removeReaction(c *gin.Context) {
	s.withRoomID(c, func(id int64) (any, int, error) {
		out, err := s.chat.RemoveReaction(c.Request.Context(), actorOf(c), id, c.Param("emoji"))
		return out, http.StatusOK, err
	})
}
