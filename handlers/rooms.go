package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/izpochat/server/chat"
)

type roomRequest struct {
	Name        *string `json:"name"`
	Description *string `json:"description"`
	IsPrivate   *bool   `json:"is_private"`
}

// withRoomID runs fn with the room id of the path, answering 400 for a bad one.
func (s *server) withRoomID(c *gin.Context, fn func(id int64) (any, int, error)) {
	id, err := pathID(c, "id")
	if err != nil {
		fail(c, s.log, err)
		return
	}
	body, status, err := fn(id)
	if err != nil {
		fail(c, s.log, err)
		return
	}
	render(c, status, body)
}

func (s *server) rooms(c *gin.Context) {
	skip, err := queryInt(c, "skip")
	if err != nil {
		fail(c, s.log, err)
		return
	}
	limit, err := queryInt(c, "limit")
	if err != nil {
		fail(c, s.log, err)
		return
	}
	q := chat.RoomQuery{Skip: int(min(skip, 1<<30)), Limit: int(min(limit, 1<<30))}
	rooms, err := s.chat.Rooms(c.Request.Context(), optionalActorOf(c), q)
	if err != nil {
		fail(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, rooms)
}

func (s *server) createRoom(c *gin.Context) {
	var req roomRequest
	if err := bindJSON(c, &req, false); err != nil {
		fail(c, s.log, err)
		return
	}
	room, err := s.chat.CreateRoom(c.Request.Context(), actorOf(c), chat.RoomInput(req))
	if err != nil {
		fail(c, s.log, err)
		return
	}
	c.JSON(http.StatusCreated, room)
}

func (s *server) room(c *gin.Context) {
	s.withRoomID(c, func(id int64) (any, int, error) {
		room, err := s.chat.Room(c.Request.Context(), actorOf(c), id)
		return room, http.StatusOK, err
	})
}

func (s *server) updateRoom(c *gin.Context) {
	s.withRoomID(c, func(id int64) (any, int, error) {
		var req roomRequest
		if err := bindJSON(c, &req, false); err != nil {
			return nil, 0, err
		}
		room, err := s.chat.UpdateRoom(c.Request.Context(), actorOf(c), id, chat.RoomInput(req))
		return room, http.StatusOK, err
	})
}

func (s *server) deleteRoom(c *gin.Context) {
	s.withRoomID(c, func(id int64) (any, int, error) {
		err := s.chat.DeleteRoom(c.Request.Context(), actorOf(c), id)
		return gin.H{"message": "room deleted", "room_id": id}, http.StatusOK, err
	})
}

func (s *server) joinRoom(c *gin.Context) {
	s.withRoomID(c, func(id int64) (any, int, error) {
		err := s.chat.JoinRoom(c.Request.Context(), actorOf(c), id)
		return gin.H{"message": "joined room", "room_id": id}, http.StatusOK, err
	})
}

func (s *server) leaveRoom(c *gin.Context) {
	s.withRoomID(c, func(id int64) (any, int, error) {
		err := s.chat.LeaveRoom(c.Request.Context(), actorOf(c), id)
		return gin.H{"message": "left room", "room_id": id}, http.StatusOK, err
	})
}

func (s *server) members(c *gin.Context) {
	s.withRoomID(c, func(id int64) (any, int, error) {
		users, err := s.chat.Members(c.Request.Context(), actorOf(c), id)
		return users, http.StatusOK, err
	})
}

func (s *server) online(c *gin.Context) {
	s.withRoomID(c, func(id int64) (any, int, error) {
		users, err := s.chat.Online(c.Request.Context(), actorOf(c), id)
		return gin.H{"room_id": id, "online_users": users, "count": len(users)}, http.StatusOK, err
	})
}
