package handlers

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/izpochat/server/chat"
	"github.com/izpochat/server/clientip"
)

type registerRequest struct {
	Username string `json:"username"`
	Email    string `json:"email"`
	Password string `json:"password"`
	FullName string `json:"full_name"`
}

type loginRequest struct {
	Email    string `json:"email"`
	Username string `json:"username"`
	Password string `json:"password"`
}

type updateMeRequest struct {
	Username        *string `json:"username"`
	Email           *string `json:"email"`
	FullName        *string `json:"full_name"`
	Password        *string `json:"password"`
	CurrentPassword *string `json:"current_password"`
}

// userWithToken is the User (self) answered after a password change, with the token that
// replaces the caller's (now refused) one; clients that do not know the fields ignore them.
type userWithToken struct {
	chat.UserSelf
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
}

func sessionBody(msg string, sess chat.Session) gin.H {
	return gin.H{"message": msg, "access_token": sess.Token, "token_type": "bearer",
		"user_id": sess.User.ID, "user": sess.User}
}

func (s *server) register(c *gin.Context) {
	var req registerRequest
	if err := bindJSON(c, &req, true); err != nil {
		fail(c, s.log, err)
		return
	}
	if req.Username == "" || req.Email == "" || req.Password == "" {
		fail(c, s.log, chat.Invalid("username, email and password are required"))
		return
	}
	sess, err := s.chat.Register(c.Request.Context(), chat.RegisterInput{Username: req.Username, Email: req.Email,
		Password: req.Password, FullName: req.FullName, ClientIP: clientip.Of(c.Request)})
	if err != nil {
		fail(c, s.log, err)
		return
	}
	c.JSON(http.StatusCreated, sessionBody("user registered successfully", sess))
}

func (s *server) login(c *gin.Context) {
	var req loginRequest
	if err := bindJSON(c, &req, true); err != nil {
		fail(c, s.log, err)
		return
	}
	sess, err := s.chat.Login(c.Request.Context(), chat.LoginInput{Email: req.Email, Username: req.Username,
		Password: req.Password, ClientIP: clientip.Of(c.Request)})
	if err != nil {
		fail(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, sessionBody("login successful", sess))
}

func (s *server) me(c *gin.Context) {
	u, err := s.chat.Me(c.Request.Context(), actorOf(c))
	if err != nil {
		fail(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, u)
}

func (s *server) updateMe(c *gin.Context) {
	var req updateMeRequest
	if err := bindJSON(c, &req, false); err != nil {
		fail(c, s.log, err)
		return
	}
	upd, err := s.chat.UpdateMe(c.Request.Context(), actorOf(c), chat.UpdateUserInput(req))
	if err != nil {
		fail(c, s.log, err)
		return
	}
	if upd.Token != "" {
		c.JSON(http.StatusOK, userWithToken{UserSelf: upd.User, AccessToken: upd.Token, TokenType: "bearer"})
		return
	}
	c.JSON(http.StatusOK, upd.User)
}

func (s *server) users(c *gin.Context) {
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
	users, err := s.chat.Users(c.Request.Context(), int(skip), int(limit))
	if err != nil {
		fail(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, users)
}

func (s *server) userByID(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		fail(c, s.log, chat.NotFound("user not found"))
		return
	}
	u, err := s.chat.UserByID(c.Request.Context(), id)
	if err != nil {
		fail(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, u)
}

func (s *server) userByUsername(c *gin.Context) {
	u, err := s.chat.UserByUsername(c.Request.Context(), c.Param("username"))
	if err != nil {
		fail(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, u)
}

func (s *server) searchUsers(c *gin.Context) {
	q := c.Query("query")
	if q == "" {
		q = c.Query("q")
	}
	users, err := s.chat.SearchUsers(c.Request.Context(), actorOf(c), q)
	if err != nil {
		fail(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, users)
}

func (s *server) myRooms(c *gin.Context) {
	rooms, err := s.chat.MyRooms(c.Request.Context(), actorOf(c))
	if err != nil {
		fail(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, rooms)
}
