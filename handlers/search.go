package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/izpochat/server/chat"
)

// searchMessages: GET /api/search/messages?q=&room_id=&limit=&before_id= →
// the messages found, newest first, each with its excerpt (issue 23.7). Which
// rooms are searched is chat's decision.
func (s *server) searchMessages(c *gin.Context) {
	q := chat.SearchQuery{Text: c.Query("q")}
	for name, dst := range map[string]*int64{"room_id": &q.RoomID, "before_id": &q.BeforeID} {
		v, err := queryInt(c, name)
		if err != nil {
			fail(c, s.log, err)
			return
		}
		*dst = v
	}
	if _, given := c.GetQuery("room_id"); given && q.RoomID == 0 {
		fail(c, s.log, chat.Invalid("room_id must be a positive integer"))
		return
	}
	limit, err := queryInt(c, "limit")
	if err != nil {
		fail(c, s.log, err)
		return
	}
	q.Limit = int(min(limit, 1<<20))
	hits, err := s.chat.SearchMessages(c.Request.Context(), actorOf(c), q)
	if err != nil {
		fail(c, s.log, err)
		return
	}
	render(c, http.StatusOK, hits)
}
