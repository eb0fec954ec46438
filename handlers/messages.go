package handlers

import (
	"net/http"
	"strconv"

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

// messages serves a room's history (and a conversation's: the same room). The
// answer carries an entity tag and must be revalidated on every use (no-cache):
// a browser then sends If-None-Match by itself and a page that did not change
// costs a 304 without a body. The access check runs first, in the domain, so a
// reader who lost the room gets its refusal, never a 304.
func (s *server) messages(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, s.log, err)
		return
	}
	q, err := historyQuery(c)
	if err != nil {
		fail(c, s.log, err)
		return
	}
	page, err := s.chat.HistoryPage(c.Request.Context(), actorOf(c), id, q)
	if err != nil {
		fail(c, s.log, err)
		return
	}
	h := c.Writer.Header()
	h["Etag"] = []string{page.ETag}
	h["Cache-Control"] = []string{"no-cache, private"}
	if noneMatch(c.Request.Header.Values("If-None-Match"), page.ETag) {
		c.Status(http.StatusNotModified)
		return
	}
	h["Content-Length"] = []string{strconv.Itoa(len(page.Body))}
	c.Data(http.StatusOK, "application/json; charset=utf-8", page.Body)
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
