package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/izpochat/server/chat"
)

// A room's members and their roles (issue 23.1); chat decides who may.

type addMemberRequest struct {
	UserID *FlexInt `json:"user_id"`
}

type roleRequest struct {
	Role *string `json:"role"`
}

// addMember: POST /api/rooms/{id}/members {user_id} → 201 the member.
func (s *server) addMember(c *gin.Context) {
	s.withRoomID(c, func(id int64) (any, int, error) {
		var req addMemberRequest
		if err := bindJSON(c, &req, false); err != nil {
			return nil, 0, err
		}
		if req.UserID == nil {
			return nil, 0, chat.Invalid("user_id is required")
		}
		m, err := s.chat.AddMember(c.Request.Context(), actorOf(c), id, int64(*req.UserID))
		return m, http.StatusCreated, err
	})
}

// removeMember: DELETE /api/rooms/{id}/members/{user_id} → 204.
func (s *server) removeMember(c *gin.Context) {
	roomID, err := pathID(c, "id")
	if err == nil {
		var userID int64
		if userID, err = pathID(c, "user_id"); err == nil {
			err = s.chat.RemoveMember(c.Request.Context(), actorOf(c), roomID, userID)
		}
	}
	if err != nil {
		fail(c, s.log, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// setRole: PUT /api/rooms/{id}/members/{user_id} {role} → the member.
func (s *server) setRole(c *gin.Context) {
	s.withRoomID(c, func(id int64) (any, int, error) {
		userID, err := pathID(c, "user_id")
		if err != nil {
			return nil, 0, err
		}
		var req roleRequest
		if err := bindJSON(c, &req, false); err != nil {
			return nil, 0, err
		}
		if req.Role == nil {
			return nil, 0, chat.Invalid("role is required")
		}
		m, err := s.chat.SetRole(c.Request.Context(), actorOf(c), id, userID, *req.Role)
		return m, http.StatusOK, err
	})
}
