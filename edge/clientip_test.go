package edge

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/izpochat/server/clientip"
	"github.com/izpochat/server/config"
)

// What the edge resolves is what every handler behind it reads with clientip.Of.
func TestHandlersSeeTheResolvedClient(t *testing.T) {
	e := New(Options{HTTP: config.HTTP{BodyTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second, MaxJSONBody: 64 << 10,
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}, LongPollWait: time.Second})
	srv := httptest.NewServer(e.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, clientip.Of(r))
	})))
	defer srv.Close()
	for _, c := range []struct {
		name string
		xff  []string
		want string
	}{
		{"named by the trusted proxy, forged entry ignored", []string{"6.6.6.6, 203.0.113.7"}, "203.0.113.7"},
		{"only trusted hops: the peer", []string{"127.0.0.1"}, "127.0.0.1"},
		{"no header: the peer", nil, "127.0.0.1"},
	} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/rooms", nil)
		for _, v := range c.xff {
			req.Header.Add("X-Forwarded-For", v)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != c.want {
			t.Errorf("%s: handler saw %q, want %q", c.name, body, c.want)
		}
	}
}
