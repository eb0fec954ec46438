package cluster

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	ws "github.com/gorilla/websocket"
)

// fakeInstance is an HTTP server holding some sessions: it answers requests for
// its sessions itself (echoing its name) and forwards the others.
type fakeInstance struct {
	name   string
	srv    *httptest.Server
	routes *SessionRoutes

	mu   sync.Mutex
	sids map[string]bool
	seen []http.Header
}

func newFakeInstance(t *testing.T, rdbURL, prefix, name string) *fakeInstance {
	t.Helper()
	f := &fakeInstance{name: name, sids: map[string]bool{}}
	f.srv = httptest.NewUnstartedServer(http.HandlerFunc(f.serve))
	f.srv.Start()
	t.Cleanup(f.srv.Close)
	addr := f.srv.Listener.Addr().String()
	f.routes = NewSessionRoutes(clientFor(t, rdbURL), addr, SessionRoutesOptions{KeyPrefix: prefix, TTL: 3 * time.Second,
		DialTimeout: 300 * time.Millisecond, Logger: testLogger(t)})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	f.routes.Start(ctx)
	t.Cleanup(func() { _ = f.routes.Close() })
	return f
}

var upgrader = ws.Upgrader{}

func (f *fakeInstance) serve(w http.ResponseWriter, r *http.Request) {
	sid := r.URL.Query().Get("sid")
	f.mu.Lock()
	local := f.sids[sid]
	f.seen = append(f.seen, r.Header.Clone())
	f.mu.Unlock()
	if !local {
		f.routes.Forward(w, r, sid)
		return
	}
	if ws.IsWebSocketUpgrade(r) {
		c, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		_, msg, err := c.ReadMessage()
		if err == nil {
			_ = c.WriteMessage(ws.TextMessage, []byte(f.name+":"+string(msg)))
		}
		return
	}
	body, _ := io.ReadAll(r.Body)
	_, _ = io.WriteString(w, f.name+":"+sid+":"+string(body))
}

func (f *fakeInstance) open(sid string) {
	f.mu.Lock()
	f.sids[sid] = true
	f.mu.Unlock()
	f.routes.Opened(sid)
}

func (f *fakeInstance) close(sid string) {
	f.mu.Lock()
	delete(f.sids, sid)
	f.mu.Unlock()
	f.routes.Closed(sid)
}

// get sends one request with a sid, as a polling client's would be, to test the
// forwarding: the instances are fakes that echo (no Engine.IO behind them), so
// the test kit's Engine.IO client has nothing to speak to here.
func get(t *testing.T, url string, header http.Header) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader("payload"))
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("request %s: %v", url, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

const unknownSession = `{"code":1,"message":"Session ID unknown"}`

func TestSessionRoutesForwardToOwner(t *testing.T) {
	prefix := uniq(t) + ":"
	a := newFakeInstance(t, sharedRedisURL, prefix, "A")
	b := newFakeInstance(t, sharedRedisURL, prefix, "B")
	a.open("s1")

	code, body := get(t, b.srv.URL+"/socket.io/?EIO=4&transport=polling&sid=s1", nil)
	if code != http.StatusOK || body != "A:s1:payload" {
		t.Fatalf("forwarded request: %d %q, want 200 from A", code, body)
	}
	a.mu.Lock()
	forwardedBy := a.seen[len(a.seen)-1].Get(ForwardedHeader)
	a.mu.Unlock()
	if forwardedBy != b.srv.Listener.Addr().String() {
		t.Errorf("A saw %s = %q, want B's address", ForwardedHeader, forwardedBy)
	}

	// The websocket upgrade of a polling session goes through B to A as well.
	wsURL := "ws" + strings.TrimPrefix(b.srv.URL, "http") + "/socket.io/?EIO=4&transport=websocket&sid=s1"
	conn, _, err := ws.DefaultDialer.Dial(wsURL, nil)
	if err != nil {
		t.Fatalf("websocket upgrade through B: %v", err)
	}
	defer conn.Close()
	_ = conn.WriteMessage(ws.TextMessage, []byte("2probe"))
	_ = conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	_, msg, err := conn.ReadMessage()
	if err != nil || string(msg) != "A:2probe" {
		t.Fatalf("websocket through B: %q %v, want A's echo", msg, err)
	}

	// Closed: B no longer finds it.
	a.close("s1")
	code, body = get(t, b.srv.URL+"/socket.io/?EIO=4&transport=polling&sid=s1", nil)
	if code != http.StatusBadRequest || body != unknownSession {
		t.Errorf("closed session: %d %q, want 400 %s", code, body, unknownSession)
	}
}

func TestSessionRoutesUnknownLoopAndDeadOwner(t *testing.T) {
	prefix := uniq(t) + ":"
	a := newFakeInstance(t, sharedRedisURL, prefix, "A")
	b := newFakeInstance(t, sharedRedisURL, prefix, "B")

	t.Run("unknown sid", func(t *testing.T) {
		code, body := get(t, b.srv.URL+"/socket.io/?sid=nobody", nil)
		if code != http.StatusBadRequest || body != unknownSession {
			t.Errorf("got %d %q", code, body)
		}
	})
	t.Run("already forwarded is never forwarded again", func(t *testing.T) {
		a.open("s2")
		code, body := get(t, b.srv.URL+"/socket.io/?sid=s2", http.Header{ForwardedHeader: {"10.9.9.9:1"}})
		if code != http.StatusBadRequest || body != unknownSession {
			t.Errorf("got %d %q", code, body)
		}
	})
	t.Run("sid key naming an address that is no live instance", func(t *testing.T) {
		rdb := sharedRedis(t)
		if err := rdb.Set(context.Background(), prefix+"sid:forged", "169.254.1.1:80", time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		code, body := get(t, b.srv.URL+"/socket.io/?sid=forged", nil)
		if code != http.StatusBadRequest || body != unknownSession || time.Since(start) > time.Second {
			t.Errorf("got %d %q after %v, want a quick 400", code, body, time.Since(start))
		}
	})
	t.Run("owner alive in redis but unreachable", func(t *testing.T) {
		c := newFakeInstance(t, sharedRedisURL, prefix, "C")
		c.open("s3")
		c.srv.Close() // crashed: its keys are still alive until the TTL
		code, body := get(t, b.srv.URL+"/socket.io/?sid=s3", nil)
		if code != http.StatusBadRequest || body != unknownSession {
			t.Errorf("got %d %q", code, body)
		}
	})
	t.Run("owner shut down", func(t *testing.T) {
		a.open("s4")
		if err := a.routes.Close(); err != nil {
			t.Fatal(err)
		}
		code, body := get(t, b.srv.URL+"/socket.io/?sid=s4", nil)
		if code != http.StatusBadRequest || body != unknownSession {
			t.Errorf("got %d %q", code, body)
		}
	})
}

func TestSessionRoutesCrashedOwnerExpires(t *testing.T) {
	prefix := uniq(t) + ":"
	rdb := sharedRedis(t)
	b := newFakeInstance(t, sharedRedisURL, prefix, "B")
	// A crashed instance: keys written, then nobody refreshes them.
	dead := NewSessionRoutes(rdb, "127.0.0.1:1", SessionRoutesOptions{KeyPrefix: prefix, TTL: time.Second})
	if err := dead.refresh(context.Background()); err != nil { // one heartbeat, then silence
		t.Fatal(err)
	}
	dead.Opened("s5")
	if owner, err := b.routes.Owner(context.Background(), "s5"); err != nil || owner != "127.0.0.1:1" {
		t.Fatalf("Owner before expiry = %q, %v", owner, err)
	}
	eventually(t, 3*time.Second, "the dead owner's session to be forgotten", func() bool {
		_, err := b.routes.Owner(context.Background(), "s5")
		return err != nil
	})
}

func TestSessionRoutesSurviveRedisRestart(t *testing.T) {
	r := startPrivateRedis(t)
	prefix := uniq(t) + ":"
	a := newFakeInstance(t, r.URL(), prefix, "A")
	b := newFakeInstance(t, r.URL(), prefix, "B")
	a.open("s6")
	r.Restart() // empty: every key is gone
	// A's refresh loop registers the session again; meanwhile B answers 400.
	eventually(t, 5*time.Second, "the session to be reachable through B again", func() bool {
		code, body := get(t, b.srv.URL+"/socket.io/?sid=s6", nil)
		return code == http.StatusOK && body == "A:s6:payload"
	})
}
