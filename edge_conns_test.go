package main

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/izpochat/server/internal/testkit"
)

// served has one request answered on a connection of its own (raw HTTP
// through the kit, testkit.SendRaw: the test holds connections open as no
// client would), which then stays open (keep-alive); nil when the server does
// not answer.
func served(t *testing.T, base string) net.Conn {
	t.Helper()
	conn := testkit.SendRaw(t, base, "GET /api/status HTTP/1.1\r\nHost: x\r\n\r\n")
	_ = conn.SetDeadline(time.Now().Add(3 * time.Second))
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "HTTP/1.1 200") {
		conn.Close()
		return nil
	}
	_ = conn.SetDeadline(time.Time{})
	return conn
}

// fill opens n served connections, retrying while connections of earlier
// requests (startRun's health polls) are still being released by the server.
func fill(t *testing.T, base string, n int) []net.Conn {
	t.Helper()
	http.DefaultClient.CloseIdleConnections()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var open []net.Conn
		for range n {
			c := served(t, base)
			if c == nil {
				break
			}
			open = append(open, c)
		}
		if len(open) == n {
			return open
		}
		for _, c := range open {
			c.Close()
		}
		if time.Now().After(deadline) {
			t.Fatalf("could not open %d connections under a cap of %d", n, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Connections beyond MAX_CONNECTIONS_PER_IP, or beyond MAX_CONNECTIONS, are
// closed on accept; a closed connection gives its place back.
func TestEdgeConnectionCapsRefuseTheNextConnection(t *testing.T) {
	for name, env := range map[string]map[string]string{
		"per address": {"MAX_CONNECTIONS_PER_IP": "3"},
		"total":       {"MAX_CONNECTIONS": "3", "MAX_CONNECTIONS_PER_IP": "0"},
	} {
		t.Run(name, func(t *testing.T) {
			base, stop, _ := startRun(t, env)
			defer stop()
			open := fill(t, base, 3)
			defer func() {
				for _, c := range open {
					c.Close()
				}
			}()
			if c := served(t, base); c != nil {
				c.Close()
				t.Fatal("the 4th connection was served over a cap of 3")
			}
			open[0].Close()
			deadline := time.Now().Add(5 * time.Second)
			for {
				if c := served(t, base); c != nil {
					open[0] = c
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("a closed connection did not give its place back")
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}

// getAs sends GET path as if through the trusted proxy for client.
func getAs(t *testing.T, base, path, client string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+path, nil)
	req.Header.Set("X-Forwarded-For", client)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// eventually429 waits until client is over its cap: three refusals in a row
// (one request's place is given back just after its answer is sent).
func eventually429(t *testing.T, base, client string, ended <-chan error) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for refused := 0; refused < 3; {
		if getAs(t, base, "/api/status", client) == http.StatusTooManyRequests {
			refused++
			continue
		}
		refused = 0
		if time.Now().After(deadline) {
			select {
			case err := <-ended:
				t.Fatalf("%s never hit its cap; a long poll ended early: %v", client, err)
			default:
			}
			t.Fatalf("%s never hit its cap", client)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Behind a trusted proxy (Render's) every connection comes from the proxy, so
// the cap per address counts the requests in flight for the client that
// X-Forwarded-For names: waiting long-polls and open websockets.
func TestEdgeConnectionCapPerClientBehindTrustedProxy(t *testing.T) {
	base, stop, _ := startRun(t, map[string]string{
		"TRUSTED_PROXIES": "127.0.0.1/32", "MAX_CONNECTIONS_PER_IP": "2", "SOCKETIO_PING_INTERVAL": "20s"})
	defer stop()

	t.Run("long polls", func(t *testing.T) {
		ended := make(chan error, 2) // a long poll that ends early (it should wait 20 s)
		proxied := http.Header{"X-Forwarded-For": {"203.0.113.7"}}
		var sessions []*testkit.PollingSession
		for range 2 {
			sessions = append(sessions, testkit.OpenPolling(t, base, testkit.PollingOptions{Header: proxied}))
		}
		for _, s := range sessions {
			go func() { // waits for the next ping, 20 s
				// A request's place is given back just after its answer is
				// sent, so one sent at once after another may still find
				// it taken: retried, as a client would.
				for start := time.Now(); ; {
					a := <-s.Pending()
					if a.Err == nil && a.Status == http.StatusTooManyRequests && time.Since(start) < 5*time.Second {
						time.Sleep(50 * time.Millisecond)
						continue
					}
					err := a.Err
					if err == nil {
						err = fmt.Errorf("%d %q", a.Status, a.Body)
					}
					ended <- err
					return
				}
			}()
		}
		eventually429(t, base, "203.0.113.7", ended)
		if s := getAs(t, base, "/api/status", "203.0.113.8"); s != http.StatusOK {
			t.Fatalf("another client behind the same proxy: %d, want 200", s)
		}
		// A forged entry left of the proxy's does not move the count elsewhere.
		eventually429(t, base, "198.51.100.1, 203.0.113.7", ended)
	})

	t.Run("websocket", func(t *testing.T) {
		token := registerToken(t, base, "proxied")
		var clients []*testkit.Client
		for range 2 {
			clients = append(clients, testkit.MustDial(t, base, testkit.DialOptions{
				Header: http.Header{"X-Forwarded-For": {"203.0.113.9"}}, Auth: map[string]string{"token": token}}))
		}
		// The upgrade handler has returned; the websockets still count.
		eventually429(t, base, "203.0.113.9", nil)
		for _, c := range clients {
			c.Close()
		}
		deadline := time.Now().Add(5 * time.Second)
		for getAs(t, base, "/api/status", "203.0.113.9") != http.StatusOK {
			if time.Now().After(deadline) {
				t.Fatal("closed websockets did not give their places back")
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
}
