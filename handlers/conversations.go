package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/izpochat/server/chat"
)

type conversationRequest struct {
	RecipientID *FlexInt `json:"recipient_id"`
}

// conversationBody is the Room's fields plus what either generation's clients read.
func conversationBody(res chat.ConversationResult, status string) gin.H {
	r := res.Room
	return gin.H{
		"id": r.ID, "name": r.Name, "description": r.Description, "is_private": r.IsPrivate,
		"created_at": r.CreatedAt, "created_by": r.CreatedBy, "creator": r.Creator,
		"member_count": r.MemberCount, "members": r.Members,
		"room": r, "room_id": r.ID, "status": status,
	}
}

func (s *server) conversationFor(c *gin.Context) (chat.ConversationResult, bool) {
	var req conversationRequest
	if err := bindJSON(c, &req, false); err != nil {
		fail(c, s.log, err)
		return chat.ConversationResult{}, false
	}
	if req.RecipientID == nil {
		fail(c, s.log, chat.Invalid("recipient_id is required"))
		return chat.ConversationResult{}, false
	}
	res, err := s.chat.StartConversation(c.Request.Context(), actorOf(c), int64(*req.RecipientID))
	if err != nil {
		fail(c, s.log, err)
		return chat.ConversationResult{}, false
	}
	return res, true
}

func (s *server) startConversation(c *gin.Context) {
	res, ok := s.conversationFor(c)
	if !ok {
		return
	}
	body := conversationBody(res, "existing_conversation")
	body["message"] = "conversation already exists"
	status := http.StatusOK
	if res.Created {
		body["status"], body["message"], status = "new_conversation", "conversation created", http.StatusCreated
	}
	c.JSON(status, body)
}

func (s *server) initiateConversation(c *gin.Context) {
	res, ok := s.conversationFor(c)
	if !ok {
		return
	}
	body := conversationBody(res, "existing")
	body["message"] = "conversation already exists"
	status := http.StatusOK
	if res.Created {
		body["status"], body["message"], status = "created", "conversation created", http.StatusCreated
	}
	c.JSON(status, body)
}

func (s *server) conversations(c *gin.Context) {
	list, err := s.chat.Conversations(c.Request.Context(), actorOf(c))
	if err != nil {
		fail(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, list)
}
