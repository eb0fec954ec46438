package sockets

import "github.com/izpochat/server/chat"

// errorCode names a domain error kind for the `error` event's code field.
func errorCode(err error) string {
	switch chat.KindOf(err) {
	case chat.KindInvalid:
		return "invalid_input"
	case chat.KindUnauthorized:
		return "unauthorized"
	case chat.KindForbidden:
		return "forbidden"
	case chat.KindNotFound:
		return "not_found"
	case chat.KindConflict:
		return "conflict"
	case chat.KindTooLarge:
		return "too_large"
	case chat.KindUnsupported:
		return "unsupported"
	case chat.KindRateLimited:
		return "rate_limited"
	case chat.KindUnavailable, chat.KindBadGateway, chat.KindTimeout:
		return "unavailable"
	default:
		return "internal_error"
	}
}

// errRateLimited is what a client exceeding its event budget is told.
var errRateLimited = chat.RateLimited("rate limit exceeded: slow down")
