package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/izpochat/server/chat"
)

type postMessageRequest struct {
	Content   string   `json:"content"`
	FileID    *FlexInt `json:"file_id"`
	ReplyToID *FlexInt `json:"reply_to_id"`
}

// historyQuery reads limit, before_id, after_id and skip.
func historyQuery(c *gin.Context) (chat.HistoryQuery, error) {
	var q chat.HistoryQuery
	for name, dst := range map[string]*int64{"before_id": &q.BeforeID, "after_id": &q.AfterID} {
		v, err := queryInt(c, name)
		if err != nil {
			return q, err
		}
		*dst = v
	}
	limit, err := queryInt(c, "limit")
	if err != nil {
		return q, err
	}
	skip, err := queryInt(c, "skip")
	if err != nil {
		return q, err
	}
	q.Limit, q.Skip = int(min(limit, 1<<20)), int(min(skip, 1<<30))
	// after_id=0 is a cursor too: "after id 0", the room's first messages.
	q.Forward = c.Query("after_id") != ""
	switch c.Query("include_deleted") {
	case "", "false", "0":
	case "true", "1":
		q.IncludeDeleted = true
	default:
		return q, chat.Invalid("include_deleted must be true or false")
	}
	return q, nil
}

// messages serves a room's history (and a conversation's: the same room).
func (s *server) messages(c *gin.Context) {
	s.withRoomID(c, func(id int64) (any, int, error) {
		q, err := historyQuery(c)
		if err != nil {
			return nil, 0, err
		}
		msgs, err := s.chat.History(c.Request.Context(), actorOf(c), id, q)
		return messagesJSON(msgs), http.StatusOK, err
	})
}

// postMessage stores a message and delivers it live on every door.
func (s *server) postMessage(c *gin.Context) {
	s.withRoomID(c, func(id int64) (any, int, error) {
		var req postMessageRequest
		if err := bindJSON(c, &req, false); err != nil {
			return nil, 0, err
		}
		in := chat.PostInput{Content: req.Content}
		if req.FileID != nil {
			v := int64(*req.FileID)
			in.FileID = &v
		}
		if req.ReplyToID != nil {
			v := int64(*req.ReplyToID)
			in.ReplyToID = &v
		}
		msg, err := s.chat.PostMessage(c.Request.Context(), actorOf(c), id, in)
		return msg, http.StatusCreated, err
	})
}
