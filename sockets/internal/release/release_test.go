package release

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/zishang520/engine.io/v2/types"
)

// handshakeRequest is a websocket handshake as a browser sends it, with the
// token in the query and in the Authorization header.
func handshakeRequest(ctx context.Context) *http.Request {
	r := httptest.NewRequestWithContext(ctx, http.MethodGet,
		"/socket.io/?EIO=4&transport=websocket&token=tok&t=1.5&extra=x", nil)
	for k, v := range map[string]string{
		"Authorization": "Bearer tok", "User-Agent": "python-requests", "Origin": "https://a.example",
		"Cookie": "session=abc", "Sec-Websocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Accept-Language": "en",
	} {
		r.Header.Set(k, v)
	}
	return r
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestTrimRequestKeepsWhatLaterHandshakesRead(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := handshakeRequest(ctx)
	w := httptest.NewRecorder()
	w.Header().Set("Access-Control-Allow-Origin", "https://a.example")
	hc := types.NewHttpContext(w, r)

	trimRequest(hc)

	if got := keys(r.Header); !slices.Equal(got, []string{"Authorization", "Origin", "User-Agent"}) {
		t.Fatalf("request headers kept: %v", got)
	}
	if got := keys(hc.Headers().All()); !slices.Equal(got, []string{"Authorization", "Origin", "User-Agent"}) {
		t.Fatalf("headers bag kept: %v", got)
	}
	if got := keys(hc.Query().All()); !slices.Equal(got, []string{"t", "token"}) {
		t.Fatalf("query kept: %v", got)
	}
	if hc.Query().Peek("token") != "tok" || hc.Headers().Peek("Authorization") != "Bearer tok" || hc.UserAgent() != "python-requests" {
		t.Fatal("a kept value changed")
	}
	if n := hc.ResponseHeaders.Count(); n != 0 {
		t.Fatalf("%d response headers kept", n)
	}
	// The bags stay usable (the engine may still write to them).
	hc.ResponseHeaders.Set("X", "y")
	hc.Headers().Set("X", "y")
}

func TestRequestIsTrimmedOnlyOnceItsHandlerReturned(t *testing.T) {
	ctx, handlerDone := context.WithCancel(context.Background())
	r := handshakeRequest(ctx)
	hc := types.NewHttpContext(httptest.NewRecorder(), r)

	RequestWhenDone(hc)
	time.Sleep(20 * time.Millisecond)
	if hc.Headers().Peek("Cookie") == "" {
		t.Fatal("trimmed while the handler may still read the request")
	}
	handlerDone() // what net/http does when the handler returns
	deadline := time.Now().Add(2 * time.Second)
	for hc.Headers().Has("Cookie") {
		if time.Now().After(deadline) {
			t.Fatal("request not trimmed after its handler returned")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got := hc.Query().Peek("token"); got != "tok" {
		t.Fatalf("token query after trim: %q", got)
	}
}
