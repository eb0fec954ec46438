package sockets_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/izpochat/server/chat"
	"github.com/izpochat/server/internal/testkit"
	"github.com/izpochat/server/internal/testkit/testapp"
	"github.com/izpochat/server/internal/wiring"
	"github.com/izpochat/server/sockets"
)

var testSecret = testapp.Secret

// app is the whole server as main wires it (testapp): REST, Socket.IO and the
// raw WebSocket over loopback, with the production configuration (the access
// cache, the edge, the metrics) unless an option says otherwise.
type app struct {
	t       *testing.T
	db      *gorm.DB
	srv     *httptest.Server
	service *chat.Service
	doors   *sockets.Server
	logs    *testkit.LockedBuffer
}

type appOption = testapp.Option

var (
	withSendQueue = testapp.WithSendQueue
	withOrigins   = testapp.WithOrigins
	// withRates sets the per-IP and per-user rate limits (the test app has none).
	withRates            = testapp.WithRates
	withMaxMessageLength = testapp.WithMaxMessageLength
	// withRate sets the per-connection event rate (the test app allows 1,000/s).
	withRate = testapp.WithSocketEventRate
)

// withWriteTimeout bounds one write to a client (no setting configures it).
func withWriteTimeout(d time.Duration) appOption {
	return testapp.WithWiring(wiring.WithSocketOptions(func(o *sockets.Options) { o.WriteTimeout = d }))
}

func newApp(t *testing.T, driver string, opts ...appOption) *app {
	t.Helper()
	a := testapp.Start(t, driver, opts...)
	return &app{t: t, db: a.DB, srv: a.Server, service: a.Chat, doors: a.Sockets, logs: a.Logs}
}

// user is a registered account.
type user struct {
	ID       int64
	Username string
	Token    string
}

func (a *app) do(method, path, token string, body any) (int, []byte) {
	a.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, a.srv.URL+path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, out
}

func (a *app) mustJSON(method, path, token string, body any, want int) map[string]any {
	a.t.Helper()
	status, out := a.do(method, path, token, body)
	if status != want {
		a.t.Fatalf("%s %s: status %d, want %d: %s", method, path, status, want, out)
	}
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		a.t.Fatalf("%s %s: not a JSON object: %s", method, path, out)
	}
	return m
}

func (a *app) register(name string) user {
	a.t.Helper()
	m := a.mustJSON("POST", "/api/users/register", "", map[string]any{
		"username": name, "email": strings.ToLower(name) + "@example.com", "password": "secret-" + name, "full_name": "Full " + name,
	}, http.StatusCreated)
	return user{ID: int64(m["user_id"].(float64)), Username: name, Token: m["access_token"].(string)}
}

func (a *app) createRoom(owner user, name string, private bool) int64 {
	a.t.Helper()
	m := a.mustJSON("POST", "/api/rooms", owner.Token, map[string]any{"name": name, "is_private": private}, http.StatusCreated)
	return int64(m["id"].(float64))
}

func (a *app) postREST(u user, roomID int64, content string) map[string]any {
	a.t.Helper()
	return a.mustJSON("POST", fmt.Sprintf("/api/rooms/%d/messages", roomID), u.Token, map[string]any{"content": content}, http.StatusCreated)
}

func (a *app) wsURL(path string) string {
	return "ws" + strings.TrimPrefix(a.srv.URL, "http") + path
}

// countMessages counts the stored messages of a room.
func (a *app) countMessages(roomID int64) int64 {
	a.t.Helper()
	var n int64
	if err := a.db.Table("messages").Where("room_id = ?", roomID).Count(&n).Error; err != nil {
		a.t.Fatalf("count messages: %v", err)
	}
	return n
}
