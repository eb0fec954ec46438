package edge

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// route is what the edge needs to know about a request to bound it.
type route int

const (
	routeREST     route = iota // JSON (or form) body; also file downloads: no body, a long answer
	routeUpgrade               // websocket: the transport keeps its own deadlines
	routePollPost              // Socket.IO polling POST
	routePollGet               // Socket.IO polling GET: may wait up to the ping interval
	routeUpload                // multipart upload: may be slow, must keep a minimum rate
)

func routeOf(r *http.Request) route {
	p := r.URL.Path
	switch {
	case isUpgrade(r):
		return routeUpgrade
	case strings.HasPrefix(p, "/socket.io/"):
		switch r.Method {
		case http.MethodPost:
			return routePollPost
		case http.MethodGet:
			return routePollGet
		}
		return routeREST
	case r.Method == http.MethodPost && (trimSlash(p) == "/api/upload" || trimSlash(p) == "/api/uploads"):
		return routeUpload
	}
	return routeREST
}

func trimSlash(p string) string {
	if len(p) > 1 {
		return strings.TrimRight(p, "/")
	}
	return p
}

func isUpgrade(r *http.Request) bool {
	for _, v := range r.Header.Values("Upgrade") {
		if strings.Contains(strings.ToLower(v), "websocket") {
			return true
		}
	}
	return false
}

// Handler bounds every request before next sees it.
func (e *Edge) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, done, ok := e.conns.enter(r)
		if !ok {
			w.Header().Set("Retry-After", "10")
			w.Header().Set("Connection", "close")
			writeError(w, http.StatusTooManyRequests, "too many connections from your address")
			return
		}
		defer done()
		r = r.WithContext(ctx)
		e.serve(w, r, next)
	})
}

func (e *Edge) serve(w http.ResponseWriter, r *http.Request, next http.Handler) {
	h := e.opts.HTTP
	rc := http.NewResponseController(w)
	now := time.Now()
	kind := routeOf(r)
	if kind == routeUpgrade {
		// A deadline left by an earlier request on this connection must not
		// cut the websocket; its transport sets its own.
		_ = rc.SetWriteDeadline(time.Time{})
		next.ServeHTTP(w, r)
		return
	}
	// Every write of the answer gets its own deadline (handling time is not
	// the client's fault); the one set below covers what the server writes by
	// itself (100 Continue, an answer without a body).
	pw := &progressWriter{ResponseWriter: w, rc: rc, timeout: h.WriteTimeout}
	switch kind {
	case routePollGet:
		_ = rc.SetWriteDeadline(now.Add(e.opts.LongPollWait + h.WriteTimeout))
	case routePollPost:
		e.servePollPost(w, pw, r, rc, next)
		return
	case routeUpload:
		if tooLarge(w, r, e.opts.MaxUploadBody) {
			return
		}
		_ = rc.SetWriteDeadline(now.Add(h.UploadRateWindow + h.WriteTimeout))
		if hasBody(r) {
			r.Body = newRateBody(http.MaxBytesReader(w, r.Body, e.opts.MaxUploadBody), rc, h.UploadMinRate, h.UploadRateWindow)
		}
	default:
		if tooLarge(w, r, h.MaxJSONBody) {
			return
		}
		_ = rc.SetWriteDeadline(now.Add(h.BodyTimeout + h.WriteTimeout))
		if hasBody(r) {
			_ = rc.SetReadDeadline(now.Add(h.BodyTimeout))
			r.Body = &deadlineBody{ReadCloser: http.MaxBytesReader(w, r.Body, h.MaxJSONBody), rc: rc}
		}
	}
	next.ServeHTTP(pw, r)
}

func hasBody(r *http.Request) bool { return r.Body != nil && r.Body != http.NoBody }

// tooLarge answers 413 at once when the declared length is over limit; a body
// without a length (chunked, HTTP/2) is cut while it streams instead.
func tooLarge(w http.ResponseWriter, r *http.Request, limit int64) bool {
	if r.ContentLength <= limit {
		return false
	}
	w.Header().Set("Connection", "close") // the rest of the body is never read
	writeError(w, http.StatusRequestEntityTooLarge, "request body is too large")
	return true
}

// errorBody is the contract's error shape (Flask clients read error, FastAPI ones detail).
type errorBody struct {
	Error  string `json:"error"`
	Detail string `json:"detail"`
}

// writeError answers in the contract's error shape.
func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(errorBody{Error: msg, Detail: msg})
}
