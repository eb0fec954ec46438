package sockets_test

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// scrape reads GET /metrics and returns series → value.
func (a *app) scrape() map[string]float64 {
	a.t.Helper()
	res, err := http.Get(a.srv.URL + "/metrics")
	if err != nil {
		a.t.Fatalf("scrape: %v", err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		a.t.Fatalf("scrape: %d %s", res.StatusCode, body)
	}
	out := map[string]float64{}
	for _, line := range strings.Split(string(body), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			out[line[:i]] = v
		}
	}
	return out
}

// eventually waits until series has the value want.
func (a *app) eventually(series string, want float64) {
	a.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := a.scrape()[series]
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			a.t.Fatalf("%s = %v, want %v", series, got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func connected(transport, ns string) string {
	return fmt.Sprintf(`izpochat_sockets_connected{namespace=%q,transport=%q}`, ns, transport)
}

func eventsIn(name string) string {
	return fmt.Sprintf(`izpochat_socket_events_received_total{event=%q}`, name)
}
func eventsOut(name string) string {
	return fmt.Sprintf(`izpochat_socket_events_sent_total{event=%q}`, name)
}

const deliveredCount = `izpochat_message_delivery_seconds_count{stage="client"}`

// TestMetricsFollowRealConnections drives every door with real connections and
// reads the Prometheus text: gauges go up and back down, events are counted
// both ways, and delivered messages are timed.
func TestMetricsFollowRealConnections(t *testing.T) {
	a := newApp(t, "sqlite")
	alice := a.register("alice")
	room := a.createRoom(alice, "general", false)

	sio := mustDial(t, a, dialOpts{auth: map[string]any{"token": alice.Token}})
	sio.next("connected")
	a.eventually(connected("websocket", "/"), 1)
	sio.call("join_room", map[string]any{"room_id": room})
	sio.emit("no_such_event", map[string]any{})

	roomNs := mustDial(t, a, dialOpts{nsp: fmt.Sprintf("/rooms/%d", room), auth: map[string]any{"token": alice.Token}})
	roomNs.next("welcome")
	a.eventually(connected("websocket", "/rooms/{id}"), 1)

	raw := dialRaw(t, a, fmt.Sprintf("/api/ws/%d?token=%s", room, alice.Token), nil)
	raw.next("welcome")
	a.eventually(connected("raw", "/api/ws/{room_id}"), 1)
	raw.send(map[string]any{"type": "ping"})
	raw.next("pong")
	raw.sendText("not json")
	raw.next("error")

	sio.call("send_message", map[string]any{"room_id": room, "content": "counted"})
	sio.next("new_message")
	roomNs.next("message")
	raw.next("message")

	got := a.scrape()
	for series, atLeast := range map[string]float64{
		eventsIn("join_room"): 1, eventsIn("send_message"): 1, eventsIn("ping"): 1, eventsIn("other"): 2,
		eventsOut("connected"): 1, eventsOut("joined_room"): 1, eventsOut("users_online"): 3, eventsOut("welcome"): 2,
		eventsOut("message_sent"): 1, eventsOut("pong"): 1, eventsOut("error"): 1,
		eventsOut("new_message"): 1, eventsOut("message"): 2,
		// One observation per door that delivered it: Socket.IO and raw.
		deliveredCount: 2,
	} {
		if got[series] < atLeast {
			t.Errorf("%s = %v, want at least %v", series, got[series], atLeast)
		}
	}
	// Unknown event names never become labels of their own.
	for series := range got {
		if strings.Contains(series, "no_such_event") || strings.Contains(series, fmt.Sprintf("/rooms/%d", room)) {
			t.Errorf("unbounded label value in %s", series)
		}
	}

	sio.close()
	roomNs.close()
	_ = raw.conn.Close()
	a.eventually(connected("websocket", "/"), 0)
	a.eventually(connected("websocket", "/rooms/{id}"), 0)
	a.eventually(connected("raw", "/api/ws/{room_id}"), 0)
}

// TestMetricsMoveUpgradedConnections: a polling connection that upgrades is
// counted under websocket from then on, and only once.
func TestMetricsMoveUpgradedConnections(t *testing.T) {
	a := newApp(t, "sqlite")
	alice := a.register("alice")

	p := openPollingClient(t, a.srv.URL)
	p.post(`40{"token":"` + alice.Token + `"}`)
	p.until("connected")
	a.eventually(connected("polling", "/"), 1)

	conn := p.Upgrade()
	a.eventually(connected("websocket", "/"), 1)
	a.eventually(connected("polling", "/"), 0)

	_ = conn.Close()
	a.eventually(connected("websocket", "/"), 0)
	a.eventually(connected("polling", "/"), 0)
}
