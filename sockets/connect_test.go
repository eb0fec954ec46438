package sockets_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestConnectReadsTokenFromAuthQueryAndHeader(t *testing.T) {
	a := newApp(t, "sqlite")
	u := a.register("alice")
	cases := map[string]dialOpts{
		"auth":        {auth: map[string]any{"token": u.Token}},
		"auth bearer": {auth: map[string]any{"token": "Bearer " + u.Token}},
		"query":       {query: "token=" + u.Token},
		"header":      {header: http.Header{"Authorization": {"Bearer " + u.Token}}},
		"alias nsp":   {nsp: "/socket.io", auth: map[string]any{"token": u.Token}},
		"eio3 query":  {eio: 3, query: "token=" + u.Token},
		"eio3 header": {eio: 3, header: http.Header{"Authorization": {"Bearer " + u.Token}}},
	}
	for name, o := range cases {
		t.Run(name, func(t *testing.T) {
			c := mustDial(t, a, o)
			got := c.next("connected").Arg(t)
			if got["user_id"] != float64(u.ID) || got["username"] != "alice" || got["message"] == "" {
				t.Fatalf("connected = %v", got)
			}
		})
	}
}

func TestConnectRefusesBadTokensWithReason(t *testing.T) {
	a := newApp(t, "sqlite")
	u := a.register("bob")
	gone := a.register("gone")
	if err := a.db.Exec("DELETE FROM users WHERE id = ?", gone.ID).Error; err != nil {
		t.Fatal(err)
	}
	expired := sign(t, jwt.SigningMethodHS256, jwt.MapClaims{"sub": "1", "type": "access", "exp": time.Now().Add(-time.Hour).Unix()})
	none := sign(t, jwt.SigningMethodNone, jwt.MapClaims{"sub": "1", "type": "access", "exp": time.Now().Add(time.Hour).Unix()})
	cases := map[string]struct {
		token string
		want  string
	}{
		"missing":      {"", "missing token"},
		"garbage":      {"not-a-jwt", "invalid token"},
		"expired":      {expired, "expired"},
		"alg none":     {none, "invalid token"},
		"deleted user": {gone.Token, "no longer exists"},
		"wrong secret": {u.Token[:len(u.Token)-4] + "AAAA", "invalid token"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			for _, nsp := range []string{"/", "/rooms/1"} {
				_, data, err := dialSIO(t, a, dialOpts{nsp: nsp, auth: map[string]any{"token": tc.token}})
				if err == nil {
					t.Fatalf("%s: connected with a bad token", nsp)
				}
				if msg, _ := data["message"].(string); !strings.Contains(msg, tc.want) {
					t.Fatalf("%s: connect_error %v, want message containing %q", nsp, data, tc.want)
				}
			}
		})
	}
}

func TestRoomNamespaceRefusesMissingAndPrivateRooms(t *testing.T) {
	a := newApp(t, "sqlite")
	owner, other := a.register("owner"), a.register("other")
	private := a.createRoom(owner, "secret", true)
	for name, nsp := range map[string]string{"missing": "/rooms/9999", "private": "/rooms/" + itoa(private)} {
		t.Run(name, func(t *testing.T) {
			_, data, err := dialSIO(t, a, dialOpts{nsp: nsp, auth: map[string]any{"token": other.Token}})
			if err == nil || data["message"] == "" {
				t.Fatalf("connect to %s: err %v data %v, want a refusal with a message", nsp, err, data)
			}
		})
	}
	_, data, err := dialSIO(t, a, dialOpts{nsp: "/rooms/abc", auth: map[string]any{"token": other.Token}})
	if err == nil || data["message"] != "Invalid namespace" {
		t.Fatalf("/rooms/abc: %v %v", err, data)
	}
	// The owner may read it.
	c := mustDial(t, a, dialOpts{nsp: "/rooms/" + itoa(private), auth: map[string]any{"token": owner.Token}})
	if w := c.next("welcome").Arg(t); w["room_id"] != float64(private) || w["user_id"] != float64(owner.ID) {
		t.Fatalf("welcome = %v", w)
	}
}

func sign(t *testing.T, method jwt.SigningMethod, claims jwt.MapClaims) string {
	t.Helper()
	var key any = testSecret
	if method == jwt.SigningMethodNone {
		key = jwt.UnsafeAllowNoneSignatureType
	}
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestEventRightAfterConnectIsHandled: clients emit in their connect handler;
// the library answers CONNECT before it registers the socket, so without our
// connect gate such an event closed the whole connection now and then.
func TestEventRightAfterConnectIsHandled(t *testing.T) {
	a := newApp(t, "sqlite")
	alice := a.register("alice")
	room := a.createRoom(alice, "general", false)
	for i := 0; i < 150; i++ {
		o := dialOpts{auth: map[string]any{"token": alice.Token}}
		switch i % 3 {
		case 1:
			o = dialOpts{eio: 3, query: "token=" + alice.Token}
		case 2:
			o = dialOpts{nsp: "/rooms/" + itoa(room), auth: map[string]any{"token": alice.Token}}
		}
		c := mustDial(t, a, o)
		if o.nsp == "" {
			c.call("join_room", map[string]any{"room_id": room})
		} else {
			c.call("typing", map[string]any{"typing": true})
		}
		c.close()
	}
}
