package wstransport

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	ws "github.com/gorilla/websocket"

	"github.com/zishang520/socket.io/v2/socket"
)

// startEchoServer answers "echo" with the same argument.
func startEchoServer(t *testing.T, configure func(*socket.ServerOptions)) *testServer {
	return startServer(t, configure, func(s *socket.Socket) {
		s.On("echo", func(args ...any) {
			s.Emit("echo", args...)
		})
	})
}

func httpDo(t *testing.T, method, url, body string) string {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: status %d body %q", method, url, res.StatusCode, data)
	}
	return string(data)
}

func TestPollingUpgradesToWebsocket(t *testing.T) {
	useTransport(t, NewBuilder(Options{}))
	srv := startEchoServer(t, nil)
	base := srv.http.URL + "/socket.io/?EIO=4&transport=polling"

	open := httpDo(t, http.MethodGet, base, "")
	if !strings.HasPrefix(open, "0{") {
		t.Fatalf("polling open = %q", open)
	}
	var handshake struct {
		Sid      string   `json:"sid"`
		Upgrades []string `json:"upgrades"`
	}
	if err := json.Unmarshal([]byte(open[1:]), &handshake); err != nil {
		t.Fatalf("decode open: %v", err)
	}
	if len(handshake.Upgrades) != 1 || handshake.Upgrades[0] != "websocket" {
		t.Fatalf("upgrades = %v, want [websocket]", handshake.Upgrades)
	}
	withSid := base + "&sid=" + handshake.Sid
	if got := httpDo(t, http.MethodPost, withSid, "40"); got != "ok" {
		t.Fatalf("POST connect = %q, want ok", got)
	}
	if got := httpDo(t, http.MethodGet, withSid, ""); !strings.HasPrefix(got, "40{") {
		t.Fatalf("polling connect reply = %q, want 40{...}", got)
	}
	srv.waitHandled(t, handshake.Sid) // the echo handler exists once "connection" ran

	conn := dialRaw(t, srv.wsURL("EIO=4&transport=websocket&sid="+handshake.Sid), 0)
	c := newRawClient(conn)
	c.send(t, "2probe")
	if got := readText(t, conn, "reply"); got != "3probe" {
		t.Fatalf("probe reply = %q, want 3probe", got)
	}
	c.send(t, "5")
	c.startReading()

	c.emit(t, "echo", "after-upgrade")
	ev, ok := c.nextEvent(t, 5*time.Second)
	if !ok {
		t.Fatal("no echo over the upgraded websocket")
	}
	if ev.Name != "echo" || argString(t, ev, 0) != "after-upgrade" {
		t.Fatalf("echo = %v", ev)
	}
}

func TestEIO3WebsocketConnect(t *testing.T) {
	useTransport(t, NewBuilder(Options{}))
	srv := startEchoServer(t, func(o *socket.ServerOptions) { o.SetAllowEIO3(true) })

	conn := dialRaw(t, srv.wsURL("EIO=3&transport=websocket"), 0)
	sid := readOpen(t, conn)
	// Socket.IO v2 clients are connected to "/" without asking.
	if got := readText(t, conn, "reply"); got != "40" {
		t.Fatalf("connect = %q, want 40", got)
	}
	srv.waitHandled(t, sid) // the echo handler exists once "connection" ran
	c := newRawClient(conn)
	// EIO3: the client pings and the server pongs.
	c.send(t, "2")
	if got := readText(t, conn, "reply"); got != "3" {
		t.Fatalf("pong = %q, want 3", got)
	}
	c.emit(t, "echo", "v3")
	if got := readText(t, conn, "reply"); got != `42["echo","v3"]` {
		t.Fatalf("echo = %q", got)
	}
}

func TestEIO3RejectedWhenNotAllowed(t *testing.T) {
	useTransport(t, NewBuilder(Options{}))
	srv := startEchoServer(t, nil)
	// The engine accepts the websocket handshake, then closes it with a reason.
	conn := dialRaw(t, srv.wsURL("EIO=3&transport=websocket"), 0)
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, data, err := conn.ReadMessage()
	if err == nil {
		t.Fatalf("EIO=3 session opened (%q) although AllowEIO3 is off", data)
	}
	if !ws.IsCloseError(err, ws.CloseNormalClosure) {
		t.Fatalf("read error = %v, want close frame", err)
	}
}
