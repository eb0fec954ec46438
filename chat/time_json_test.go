package chat

import (
	"encoding/json"
	"testing"
	"time"
)

func TestTimeJSONRoundTrip(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC)
	in := Message{ID: 7, CreatedAt: Time(at), Timestamp: Time(at), File: &File{CreatedAt: Time(at)}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out Message
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("unmarshal %s: %v", b, err)
	}
	if !time.Time(out.CreatedAt).Equal(at) || !time.Time(out.Timestamp).Equal(at) || !time.Time(out.File.CreatedAt).Equal(at) {
		t.Errorf("round trip changed the times: %v %v %v", out.CreatedAt, out.Timestamp, out.File.CreatedAt)
	}
	var bad Time
	if err := json.Unmarshal([]byte(`"yesterday"`), &bad); err == nil {
		t.Error("a time that is not RFC 3339 was accepted")
	}
}
