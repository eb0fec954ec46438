package sockets_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	ws "github.com/gorilla/websocket"

	"github.com/izpochat/server/internal/testdb"
)

// A password change ends every token issued before it on every door: Socket.IO on / and
// /rooms/<id> (EIO 4 and 3) and the raw WebSocket refuse it; the token answered with the
// change, and a new login's, connect everywhere.
func TestPasswordChangeEndsOlderTokensOnEveryDoor(t *testing.T) {
	for _, driver := range testdb.Drivers() {
		t.Run(driver, func(t *testing.T) {
			a := newApp(t, driver)
			owner, lee := a.register("owner"), a.register("lee")
			room := a.createRoom(owner, "general", false)
			roomNsp := fmt.Sprintf("/rooms/%d", room)
			rawPath := func(token string) string { return fmt.Sprintf("/api/ws/%d?token=%s", room, token) }

			// Before the change the token works on each door.
			mustDial(t, a, dialOpts{auth: map[string]any{"token": lee.Token}}).next("connected")
			dialRaw(t, a, rawPath(lee.Token), nil).next("welcome")

			changed := a.mustJSON("PUT", "/api/users/me", lee.Token,
				map[string]any{"password": "a-new-password", "current_password": "secret-lee"}, http.StatusOK)

			for name, o := range map[string]dialOpts{
				"/ auth":         {auth: map[string]any{"token": lee.Token}},
				"/rooms/<id>":    {nsp: roomNsp, auth: map[string]any{"token": lee.Token}},
				"eio3 / query":   {eio: 3, query: "token=" + lee.Token},
				"eio3 rooms nsp": {eio: 3, nsp: roomNsp, query: "token=" + lee.Token},
			} {
				_, data, err := dialSIO(t, a, o)
				if err == nil {
					t.Fatalf("%s: connected with a token from before the password change", name)
				}
				if msg, _ := data["message"].(string); !strings.Contains(msg, "revoked") {
					t.Fatalf("%s: connect_error %v, want the revocation", name, data)
				}
			}
			ce := dialRaw(t, a, rawPath(lee.Token), nil).closeCode()
			if ce.Code != ws.ClosePolicyViolation || !strings.Contains(ce.Text, "revoked") {
				t.Fatalf("raw websocket with the old token: close %d %q, want 1008 revoked", ce.Code, ce.Text)
			}

			answered, _ := changed["access_token"].(string)
			login := a.mustJSON("POST", "/api/users/login", "", map[string]any{"username": "lee", "password": "a-new-password"}, http.StatusOK)
			for _, fresh := range []string{answered, login["access_token"].(string)} {
				mustDial(t, a, dialOpts{auth: map[string]any{"token": fresh}}).next("connected")
				mustDial(t, a, dialOpts{nsp: roomNsp, auth: map[string]any{"token": fresh}}).next("welcome")
				dialRaw(t, a, rawPath(fresh), nil).next("welcome")
			}
		})
	}
}
