package handlers

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/izpochat/server/config"
)

type observed struct {
	method, route string
	status        int
}

type fakeObserver struct {
	mu  sync.Mutex
	got []observed
}

func (f *fakeObserver) ObserveHTTP(method, route string, status int, d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, observed{method, route, status})
}

func TestHTTPMetricsByRoutePattern(t *testing.T) {
	obs := &fakeObserver{}
	h := opsServer(t, Deps{HTTPMetrics: obs, SocketIO: http.NotFoundHandler()})
	opsGet(t, h, "/openapi.json", nil)
	opsGet(t, h, "/docs/", nil)
	opsGet(t, h, "/no/such/path/12345", nil)
	opsGet(t, h, "/socket.io/?EIO=4&transport=polling", nil)

	want := []observed{
		{"GET", "/openapi.json", 200},
		{"GET", "/docs", 200},
		{"GET", "unmatched", 404},
	}
	if len(obs.got) != len(want) {
		t.Fatalf("observed %+v, want %+v (Socket.IO requests are not timed)", obs.got, want)
	}
	for i := range want {
		if obs.got[i] != want[i] {
			t.Errorf("observation %d = %+v, want %+v", i, obs.got[i], want[i])
		}
	}
}

func TestMetricsRouteMountedOnlyWhenGiven(t *testing.T) {
	off := opsServer(t, Deps{})
	if r := opsGet(t, off, "/metrics", nil); r.code != 404 {
		t.Errorf("/metrics without a metrics handler: %d, want 404", r.code)
	}
	on := opsServer(t, Deps{Metrics: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("izpochat_up 1\n"))
	})})
	if r := opsGet(t, on, "/metrics", nil); r.code != 200 || string(r.body) != "izpochat_up 1\n" {
		t.Errorf("/metrics: %d %q", r.code, r.body)
	}
}

// TestAccessLogCarriesRequestID checks the structured request log: one JSON line
// per request with the request id that the response also carries.
func TestAccessLogCarriesRequestID(t *testing.T) {
	var buf bytes.Buffer
	h := opsServer(t, Deps{Config: config.Config{Version: "v-test", LogJSON: true}, Logger: opsLogger(&buf)})
	r := opsGet(t, h, "/openapi.json", map[string]string{"X-Request-ID": "req-abc"})
	if got := r.header.Get("X-Request-ID"); got != "req-abc" {
		t.Errorf("response X-Request-ID = %q", got)
	}
	generated := opsGet(t, h, "/docs", nil).header.Get("X-Request-ID")
	if len(generated) != 16 {
		t.Errorf("generated request id %q, want 16 hex chars", generated)
	}
	tooLong := opsGet(t, h, "/docs", map[string]string{"X-Request-ID": strings.Repeat("x", 65)}).header.Get("X-Request-ID")
	if len(tooLong) != 16 {
		t.Errorf("an over-long caller id was kept: %q", tooLong)
	}

	var lines []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		if m["msg"] == "http request" {
			lines = append(lines, m)
		}
	}
	if len(lines) != 3 {
		t.Fatalf("got %d request log lines, want 3:\n%s", len(lines), buf.String())
	}
	first := lines[0]
	for k, want := range map[string]any{"request_id": "req-abc", "method": "GET", "route": "/openapi.json", "status": float64(200)} {
		if first[k] != want {
			t.Errorf("log %s = %v, want %v", k, first[k], want)
		}
	}
	if lines[1]["request_id"] != generated {
		t.Errorf("log request_id %v, response %s", lines[1]["request_id"], generated)
	}
	if _, ok := first["duration_ms"].(float64); !ok {
		t.Error("log line lacks duration_ms")
	}
}
