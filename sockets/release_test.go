package sockets_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	ws "github.com/gorilla/websocket"
)

// The server trims what it keeps of a connection's handshake request once the
// connection is established. A namespace connected later over the same
// connection must still find the token where the first one did: in the query
// or in the Authorization header.
func TestLaterNamespaceOnTheSameConnectionStillFindsTheToken(t *testing.T) {
	a := newApp(t, "sqlite")
	alice := a.register("alice")
	room := a.createRoom(alice, "general", false)
	roomNsp := "/rooms/" + strconv.FormatInt(room, 10)
	cases := map[string]struct {
		query  string
		header http.Header
	}{
		"query":  {query: "&token=" + alice.Token, header: http.Header{"Cookie": {"a=b"}, "Accept-Language": {"en"}}},
		"header": {header: http.Header{"Authorization": {"Bearer " + alice.Token}, "Cookie": {"a=b"}}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			conn, _, err := ws.DefaultDialer.Dial(a.wsURL("/socket.io/?EIO=4&transport=websocket"+c.query), c.header)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			if _, open, err := conn.ReadMessage(); err != nil || !strings.HasPrefix(string(open), "0{") {
				t.Fatalf("open: %q %v", open, err)
			}
			connect := func(nsp, want string) {
				t.Helper()
				pkt := "40"
				if nsp != "/" {
					pkt += nsp + ","
				}
				if err := conn.WriteMessage(ws.TextMessage, []byte(pkt)); err != nil {
					t.Fatal(err)
				}
				for {
					_, msg, err := conn.ReadMessage()
					if err != nil {
						t.Fatalf("waiting for the CONNECT answer of %s: %v", nsp, err)
					}
					s := string(msg)
					if strings.HasPrefix(s, "44") {
						t.Fatalf("CONNECT %s refused: %s", nsp, s)
					}
					if strings.HasPrefix(s, want) {
						return
					}
				}
			}
			connect("/", "40{")
			// By now the handshake request's handler has long returned and the
			// request has been trimmed.
			time.Sleep(100 * time.Millisecond)
			connect(roomNsp, "40"+roomNsp+",")
		})
	}
}
