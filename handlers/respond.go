package handlers

import (
	"errors"
	"log/slog"
	"math"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/izpochat/server/chat"
)

// errorBody is the contract's error shape: Flask clients read error, FastAPI clients detail.
type errorBody struct {
	Error  string `json:"error"`
	Detail string `json:"detail"`
}

// messagesJSON is a page of messages, encoded by chat.AppendMessagesJSON: the
// bytes c.JSON would write, without encoding/json's reflection (most of a
// history request's encoding time).
type messagesJSON []chat.Message

// render answers body as JSON with status.
func render(c *gin.Context, status int, body any) {
	if msgs, ok := body.(messagesJSON); ok {
		data := chat.AppendMessagesJSON(nil, msgs)
		// With its length known the answer is not chunked: a page of messages
		// (tens of KiB) then takes two write system calls instead of three.
		c.Header("Content-Length", strconv.Itoa(len(data)))
		c.Data(status, "application/json; charset=utf-8", data)
		return
	}
	c.JSON(status, body)
}

func abortWith(c *gin.Context, status int, msg string) {
	c.AbortWithStatusJSON(status, errorBody{Error: msg, Detail: msg})
}

// statusOf maps a domain error kind to its HTTP status.
func statusOf(k chat.Kind) int {
	switch k {
	case chat.KindInvalid:
		return http.StatusBadRequest
	case chat.KindUnauthorized:
		return http.StatusUnauthorized
	case chat.KindForbidden:
		return http.StatusForbidden
	case chat.KindNotFound:
		return http.StatusNotFound
	case chat.KindConflict:
		return http.StatusConflict
	case chat.KindTooLarge:
		return http.StatusRequestEntityTooLarge
	case chat.KindUnsupported:
		return http.StatusUnsupportedMediaType
	case chat.KindRateLimited:
		return http.StatusTooManyRequests
	case chat.KindUnavailable:
		return http.StatusServiceUnavailable
	case chat.KindBadGateway:
		return http.StatusBadGateway
	case chat.KindTimeout:
		return http.StatusGatewayTimeout
	default:
		return http.StatusInternalServerError
	}
}

// fail answers err in the contract's shape; unexpected errors are logged with the
// request id and never shown.
func fail(c *gin.Context, log *slog.Logger, err error) {
	status := statusOf(chat.KindOf(err))
	if status >= 500 {
		log.ErrorContext(c.Request.Context(), "request failed",
			"request_id", c.GetString(requestIDKey), "method", c.Request.Method, "path", c.Request.URL.Path, "err", err)
	}
	if wait := chat.RetryAfterOf(err); wait > 0 {
		c.Header("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
	}
	var ce *chat.Error
	if !errors.As(err, &ce) && status == http.StatusInternalServerError {
		abortWith(c, status, "internal error")
		return
	}
	abortWith(c, status, chat.PublicMessage(err))
}
