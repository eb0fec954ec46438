package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/izpochat/server/chat"
)

// Editing and deleting a message (issue 23.2); chat decides who may.

type editMessageRequest struct {
	Content *string `json:"content"`
}

// editMessage: PATCH /api/messages/{id} {content} → the message, edited_at set.
func (s *server) editMessage(c *gin.Context) {
	s.withRoomID(c, func(id int64) (any, int, error) {
		var req editMessageRequest
		if err := bindJSON(c, &req, false); err != nil {
			return nil, 0, err
		}
		if req.Content == nil {
			return nil, 0, chat.Invalid("content is required")
		}
		msg, err := s.chat.EditMessage(c.Request.Context(), actorOf(c), id, *req.Content)
		return msg, http.StatusOK, err
	})
}

// deleteMessage: DELETE /api/messages/{id} → 204.
func (s *server) deleteMessage(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, s.log, err)
		return
	}
	if err := s.chat.DeleteMessage(c.Request.Context(), actorOf(c), id); err != nil {
		fail(c, s.log, err)
		return
	}
	c.Status(http.StatusNoContent)
}
