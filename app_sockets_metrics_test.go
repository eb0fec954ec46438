package main

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// The wired app hands its metrics recorder to the real-time doors: a Socket.IO
// connection shows in izpochat_sockets_connected and leaves it on disconnect.
func TestSocketMetricsWiredIntoApp(t *testing.T) {
	base, stop, logs := startRun(t, map[string]string{})
	defer func() {
		if err := stop(); err != nil {
			t.Errorf("stop: %v\n%s", err, logs)
		}
	}()
	_, reg := postJSON(t, base+"/api/users/register", "", map[string]string{
		"username": "gauge", "email": "gauge@example.com", "password": "secret1"})
	token, _ := reg["access_token"].(string)

	const series = `izpochat_sockets_connected{namespace="/",transport="websocket"}`
	waitFor := func(want string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			code, body := scrapeMetrics(t, base+"/metrics", "")
			if code == http.StatusOK && strings.Contains(body, series+" "+want+"\n") {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s never became %s:\n%s", series, want, grepLines(body, "izpochat_sockets"))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	client := dialSocketIO(t, base, token)
	waitFor("1")
	if code, body := scrapeMetrics(t, base+"/metrics", ""); code != http.StatusOK || !strings.Contains(body, `izpochat_socket_events_sent_total{event="connected"} 1`) {
		t.Errorf("the connected event was not counted:\n%s", grepLines(body, "izpochat_socket_events"))
	}
	client.Close()
	waitFor("0")
}

func grepLines(text, prefix string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
