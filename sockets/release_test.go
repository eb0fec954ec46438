package sockets_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/izpochat/server/internal/testkit"
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
			// The kit's client: "/" first, then the room over the same connection.
			conn := testkit.MustDial(t, a.srv.URL, testkit.DialOptions{Query: strings.TrimPrefix(c.query, "&"), Header: c.header})
			// By now the handshake request's handler has long returned and the
			// request has been trimmed.
			time.Sleep(100 * time.Millisecond)
			if _, err := conn.ConnectAlso(roomNsp, nil); err != nil {
				t.Fatalf("CONNECT %s on the same connection: %v", roomNsp, err)
			}
		})
	}
}
