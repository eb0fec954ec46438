package cluster

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/zishang520/socket.io/v2/socket"
)

func TestPollingHandshakeRefusedWithClearMessage(t *testing.T) {
	opts := socket.DefaultServerOptions()
	opts.SetAllowRequest(RefusePollingHandshake)
	io := socket.NewServer(nil, opts)
	srv := httptest.NewServer(io.ServeHandler(nil))
	defer srv.Close()
	defer io.Close(nil)

	res, err := http.Get(srv.URL + "/socket.io/?EIO=4&transport=polling")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := readBody(res)
	if res.StatusCode != http.StatusForbidden || !strings.Contains(body, "websocket transport") {
		t.Fatalf("polling handshake: %d %s; want 403 telling the client to use websocket", res.StatusCode, body)
	}
	// A websocket handshake is let through.
	c := dialClient(t, srv.URL, "")
	if c.sid == "" {
		t.Fatal("websocket client got no sid")
	}
}

func readBody(res *http.Response) (string, error) {
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return string(b), err
}
