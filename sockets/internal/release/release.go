// Package release trims what the engine and socket.io keep of a connection's
// first HTTP request once it has been read: the engine keeps the request (its
// headers, a parsed query, a copy of the response headers) for the
// connection's whole life, and socket.io copies headers, query and the CONNECT
// payload into every namespace socket's handshake. Most connections sit idle,
// so only what a later read needs is kept.
package release

import (
	"context"
	"net/http"

	"github.com/zishang520/engine.io/v2/types"
	"github.com/zishang520/socket.io/v2/socket"
)

// Most of a server's connections sit idle, so what each one keeps matters. The
// engine keeps the first HTTP request of every Engine.IO connection for the
// connection's whole life (engine.Socket.Request: the request itself, its
// headers, a parsed copy of its query and a copy of the response headers), and
// socket.io copies the headers, the query and the CONNECT payload into the
// handshake of every namespace socket. Once they have been read, only what a
// later read needs is kept.

// keptHeaders and keptQuery are what a later namespace CONNECT of the same
// connection still reads through its handshake: the doors' handshakeToken (Authorization,
// token), recovery.LegacyHandshake (User-Agent, t) and the library's Handshake.Xdomain
// (Origin). Keys are as net/http canonicalises them; query keys as sent.
var (
	keptHeaders = [...]string{"Authorization", "Origin", "User-Agent"}
	keptQuery   = [...]string{"t", "token"}
)

// RequestWhenDone trims a connection's first request (hc, from
// engine.Socket.Request) once the HTTP handler that received it has returned:
// net/http cancels a request's context only then (hijacked or not), and does
// not read a request's headers once its handler has started (it copies what it
// needs beforehand, golang/go#14940), so from then on nothing but the engine's
// accessors reads them, and they read the trimmed copies.
func RequestWhenDone(hc *types.HttpContext) {
	if hc == nil || hc.Request() == nil {
		return
	}
	context.AfterFunc(hc.Request().Context(), func() { trimRequest(hc) })
}

// trimRequest keeps of hc's request only the headers and query parameters in
// keptHeaders and keptQuery, and drops the copy of the response headers (the
// response was written before the handler returned).
func trimRequest(hc *types.HttpContext) {
	r := hc.Request()
	headers := http.Header{}
	for _, k := range keptHeaders {
		if v, ok := r.Header[k]; ok {
			headers[k] = v
		}
	}
	// The headers bag wraps r.Header itself: both must let go of the old map.
	// They share the trimmed one as they shared the original.
	hc.Headers().Replace(headers)
	r.Header = headers

	query := map[string][]string{}
	for _, k := range keptQuery {
		if v, ok := hc.Query().Gets(k); ok {
			query[k] = v
		}
	}
	hc.Query().Replace(query)
	hc.ResponseHeaders.Replace(map[string][]string{})
}

// Handshake drops the copies of the request's headers and query and the
// CONNECT payload (with its token) from a connected socket's handshake: our
// middlewares read them before the socket connected, and nothing reads them
// after (what is needed later, such as legacy, is kept in the socket's state).
func Handshake(s *socket.Socket) {
	h := s.Handshake()
	if h == nil {
		return
	}
	h.Headers, h.Query, h.Auth = nil, nil, nil
}
