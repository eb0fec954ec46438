package metrics

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// RequireToken guards next with token, given as "Authorization: Bearer <token>"
// or "?token=<token>" (for scrapers that cannot set headers). An empty token
// leaves next open.
func RequireToken(token string, next http.Handler) http.Handler {
	if token == "" {
		return next
	}
	want := []byte(token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := r.URL.Query().Get("token")
		if h := r.Header.Get("Authorization"); h != "" {
			if rest, ok := strings.CutPrefix(h, "Bearer "); ok {
				got = strings.TrimSpace(rest)
			}
		}
		if subtle.ConstantTimeCompare([]byte(got), want) != 1 {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":"metrics token required","detail":"metrics token required"}`))
			return
		}
		next.ServeHTTP(w, r)
	})
}
