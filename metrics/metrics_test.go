package metrics

import (
	"database/sql"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	_ "github.com/glebarez/go-sqlite"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// value reads one gauge or counter.
func value(t *testing.T, c prometheus.Metric) float64 {
	t.Helper()
	var pb dto.Metric
	if err := c.Write(&pb); err != nil {
		t.Fatal(err)
	}
	if pb.Gauge != nil {
		return pb.GetGauge().GetValue()
	}
	return pb.GetCounter().GetValue()
}

// series counts the label sets of one metric family.
func series(t *testing.T, m *Metrics, name string) int {
	t.Helper()
	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name {
			return len(f.GetMetric())
		}
	}
	return 0
}

func newMetrics(t *testing.T, opts Options) *Metrics {
	t.Helper()
	m, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return m
}

func scrape(t *testing.T, h http.Handler, target string, header http.Header) (int, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	body, _ := io.ReadAll(rec.Result().Body)
	return rec.Code, string(body)
}

func TestSocketGaugeFoldsLabels(t *testing.T) {
	m := newMetrics(t, Options{})
	m.SocketConnected("websocket", "/")
	m.SocketConnected("polling", "/rooms/12")
	m.SocketConnected("polling", "/rooms/99")
	m.SocketUpgraded("/rooms/12", "polling", "websocket")
	m.SocketConnected("carrier-pigeon", "/evil")
	m.SocketDisconnected("websocket", "/")

	for _, c := range []struct {
		transport, ns string
		want          float64
	}{
		{"websocket", "/", 0},
		{"polling", "/rooms/{id}", 1},
		{"websocket", "/rooms/{id}", 1},
		{"other", "other", 1},
	} {
		if got := value(t, m.sockets.WithLabelValues(c.transport, c.ns)); got != c.want {
			t.Errorf("sockets{%s,%s} = %v, want %v", c.transport, c.ns, got, c.want)
		}
	}
	if n := series(t, m, "izpochat_sockets_connected"); n != 4 {
		t.Errorf("socket series = %d, want 4 (room ids must not become labels)", n)
	}
	m.SocketConnected("raw", "/api/ws/5")
	if got := value(t, m.sockets.WithLabelValues("raw", "/api/ws/{room_id}")); got != 1 {
		t.Errorf("raw websocket gauge = %v", got)
	}
}

func TestEventsMessagesAndLatency(t *testing.T) {
	m := newMetrics(t, Options{})
	m.EventIn("send_message")
	m.EventIn("send_message")
	m.EventIn("x-random-" + strings.Repeat("z", 10))
	m.EventOut("new_message")
	m.MessageStored()
	m.ObserveDelivery(3 * time.Millisecond)
	m.ObserveFanout(time.Millisecond)
	m.ObserveHTTP("GET", "/api/rooms/:id", 200, 20*time.Millisecond)

	if got := value(t, m.eventsIn.WithLabelValues("send_message")); got != 2 {
		t.Errorf("events in send_message = %v", got)
	}
	if got := value(t, m.eventsIn.WithLabelValues("other")); got != 1 {
		t.Errorf("unknown event not folded into other: %v", got)
	}
	if got := value(t, m.eventsOut.WithLabelValues("new_message")); got != 1 {
		t.Errorf("events out = %v", got)
	}
	if got := value(t, m.messagesStored); got != 1 {
		t.Errorf("messages stored = %v", got)
	}
	_, body := scrape(t, m.Handler(), "/metrics", nil)
	for _, want := range []string{
		`izpochat_message_delivery_seconds_count{stage="client"} 1`,
		`izpochat_message_delivery_seconds_count{stage="hub"} 1`,
		`izpochat_http_request_duration_seconds_count{method="GET",route="/api/rooms/:id",status="200"} 1`,
		`go_goroutines`,
		`izpochat_build_info{version=""} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
}

func TestDBStats(t *testing.T) {
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Ping(); err != nil {
		t.Fatal(err)
	}
	m := newMetrics(t, Options{DB: db, DBName: "sqlite", Version: "abc1234"})
	_, body := scrape(t, m.Handler(), "/metrics", nil)
	for _, want := range []string{`go_sql_open_connections{db_name="sqlite"} 1`, `go_sql_max_open_connections{db_name="sqlite"}`,
		`izpochat_build_info{version="abc1234"} 1`, "process_"} {
		if !strings.Contains(body, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
}

func TestTwoInstancesDoNotShareARegistry(t *testing.T) {
	a, b := newMetrics(t, Options{}), newMetrics(t, Options{})
	a.MessageStored()
	if value(t, b.messagesStored) != 0 {
		t.Error("metrics leak between instances")
	}
}

func TestRequireToken(t *testing.T) {
	m := newMetrics(t, Options{})
	open := RequireToken("", m.Handler())
	if code, _ := scrape(t, open, "/metrics", nil); code != http.StatusOK {
		t.Errorf("no token configured: status %d, want 200", code)
	}

	guarded := RequireToken("s3cret", m.Handler())
	tests := []struct {
		name   string
		target string
		auth   string
		want   int
	}{
		{"none", "/metrics", "", http.StatusUnauthorized},
		{"bearer", "/metrics", "Bearer s3cret", http.StatusOK},
		{"query", "/metrics?token=s3cret", "", http.StatusOK},
		{"wrong bearer", "/metrics", "Bearer nope", http.StatusUnauthorized},
		{"wrong query", "/metrics?token=s3cre", "", http.StatusUnauthorized},
		{"basic scheme", "/metrics", "Basic s3cret", http.StatusUnauthorized},
		{"bad header beats good query", "/metrics?token=s3cret", "Bearer nope", http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.auth != "" {
				h.Set("Authorization", tt.auth)
			}
			code, body := scrape(t, guarded, tt.target, h)
			if code != tt.want {
				t.Fatalf("status %d, want %d", code, tt.want)
			}
			if code == http.StatusUnauthorized && !strings.Contains(body, `"error"`) {
				t.Errorf("401 body %q lacks the contract's error shape", body)
			}
			if code == http.StatusOK && !strings.Contains(body, "izpochat_messages_stored_total") {
				t.Errorf("200 body is not the metrics text")
			}
		})
	}
}
