package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/izpochat/server/chat"
)

// Read state and receipts (issue 23.5); chat decides who may.

type markReadRequest struct {
	MessageID *FlexInt `json:"message_id"`
}

// markRead: POST /api/rooms/{id}/read {message_id} → the caller's read state
// of the room (the marker never moves backwards).
func (s *server) markRead(c *gin.Context) {
	s.withRoomID(c, func(id int64) (any, int, error) {
		var req markReadRequest
		if err := bindJSON(c, &req, false); err != nil {
			return nil, 0, err
		}
		if req.MessageID == nil {
			return nil, 0, chat.Invalid("message_id is required")
		}
		st, err := s.chat.MarkRead(c.Request.Context(), actorOf(c), id, int64(*req.MessageID))
		return st, http.StatusOK, err
	})
}

// roomReads: GET /api/rooms/{id}/reads → [{user_id, last_read_id}].
func (s *server) roomReads(c *gin.Context) {
	s.withRoomID(c, func(id int64) (any, int, error) {
		reads, err := s.chat.Reads(c.Request.Context(), actorOf(c), id)
		return reads, http.StatusOK, err
	})
}
