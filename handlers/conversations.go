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
		"member_count": r.MemberCount, "members": r.Members, "my_role": r.MyRole,
		"owner_id": r.OwnerID, "owner": r.Owner, "updated_at": r.UpdatedAt,
		"last_read_id": r.LastReadID, "unread_count": r.UnreadCount,
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

// conversationStatus names the outcome as each client generation expects it.
type conversationStatus struct{ created, existing string }

var (
	flaskStatus    = conversationStatus{created: "new_conversation", existing: "existing_conversation"}
	initiateStatus = conversationStatus{created: "created", existing: "existing"}
)

// answerConversation finds or creates the conversation and answers 201 when it is
// new, 200 when it existed, with the status words of the route's generation.
func (s *server) answerConversation(c *gin.Context, words conversationStatus) {
	res, ok := s.conversationFor(c)
	if !ok {
		return
	}
	status, body := http.StatusOK, conversationBody(res, words.existing)
	body["message"] = "conversation already exists"
	if res.Created {
		status, body["status"], body["message"] = http.StatusCreated, words.created, "conversation created"
	}
	c.JSON(status, body)
}

func (s *server) startConversation(c *gin.Context)    { s.answerConversation(c, flaskStatus) }
func (s *server) initiateConversation(c *gin.Context) { s.answerConversation(c, initiateStatus) }

func (s *server) conversations(c *gin.Context) {
	list, err := s.chat.Conversations(c.Request.Context(), actorOf(c))
	if err != nil {
		fail(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, list)
}
