package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

func scrapeMetrics(t *testing.T, url, bearer string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// The wired app counts stored messages from the hub, times HTTP routes by
// pattern, reports the database pool, and guards /metrics with METRICS_TOKEN.
func TestMetricsWiredIntoApp(t *testing.T) {
	base, stop, logs := startRun(t, map[string]string{"METRICS_TOKEN": "scrape-me"})
	defer func() {
		if err := stop(); err != nil {
			t.Errorf("stop: %v\n%s", err, logs)
		}
	}()

	if code, _ := scrapeMetrics(t, base+"/metrics", ""); code != http.StatusUnauthorized {
		t.Errorf("/metrics without the token: %d, want 401", code)
	}
	if code, _ := scrapeMetrics(t, base+"/metrics?token=wrong", ""); code != http.StatusUnauthorized {
		t.Errorf("/metrics with a wrong token: %d, want 401", code)
	}

	_, reg := postJSON(t, base+"/api/users/register", "", map[string]string{
		"username": "meter", "email": "meter@example.com", "password": "secret1"})
	token, _ := reg["access_token"].(string)
	code, room := postJSON(t, base+"/api/rooms", token, map[string]any{"name": "metered"})
	if code != http.StatusCreated {
		t.Fatalf("create room: %d %v", code, room)
	}
	roomID := int64(room["id"].(float64))
	for i := range 2 {
		if code, msg := postJSON(t, fmt.Sprintf("%s/api/rooms/%d/messages", base, roomID), token, map[string]string{"content": fmt.Sprint("hi ", i)}); code != http.StatusCreated {
			t.Fatalf("post message: %d %v", code, msg)
		}
	}

	code, body := scrapeMetrics(t, base+"/metrics", "scrape-me")
	if code != http.StatusOK {
		t.Fatalf("/metrics with the token: %d", code)
	}
	for _, want := range []string{
		"izpochat_messages_stored_total 2",
		`izpochat_message_delivery_seconds_count{stage="hub"} 2`,
		`izpochat_http_request_duration_seconds_count{method="POST",route="/api/rooms/:id/messages",status="201"} 2`,
		`izpochat_http_request_duration_seconds_count{method="GET",route="/metrics",status="401"} 2`,
		`go_sql_max_open_connections{db_name="sqlite"}`,
		"go_goroutines",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if strings.Contains(body, fmt.Sprintf("/api/rooms/%d/", roomID)) {
		t.Error("a raw path became a label: label sets would grow without bound")
	}
}
