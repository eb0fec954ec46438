package testkit_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/izpochat/server/internal/testkit"
	"github.com/izpochat/server/internal/testkit/testapp"
)

// The kit's client speaks every protocol the server serves: Engine.IO 4 and 3,
// over websocket and long-polling, with a message sent through one and
// delivered to another.
func TestClientOverEveryTransport(t *testing.T) {
	app := testapp.Start(t, "sqlite")
	token := register(t, app.URL, "kit")
	room := createRoom(t, app.URL, token)
	for _, o := range []testkit.DialOptions{
		{EIO: 4, Auth: map[string]string{"token": token}},
		{EIO: 4, Polling: true, Auth: map[string]string{"token": token}},
		{EIO: 3, Query: "token=" + token},
		{EIO: 3, Polling: true, Query: "token=" + token},
		// socket.io-client's default: polling, then an upgrade to websocket.
		{EIO: 4, Polling: true, UpgradeVia: app.URL, Auth: map[string]string{"token": token}},
		{EIO: 4, Polling: true, PollVia: []string{app.URL, app.URL}, Auth: map[string]string{"token": token}},
	} {
		t.Run(fmt.Sprintf("eio%d polling=%v upgrade=%v", o.EIO, o.Polling, o.UpgradeVia != ""), func(t *testing.T) {
			o.Record = true
			c := testkit.MustDial(t, app.URL, o)
			if c.SID == "" {
				t.Fatal("no session id")
			}
			if upgraded := c.Conn() != nil; upgraded != (!o.Polling || o.UpgradeVia != "") {
				t.Fatalf("websocket under the client: %v", upgraded)
			}
			c.Call("join_room", map[string]any{"room_id": room})
			content := fmt.Sprintf("over eio%d polling=%v ✓", o.EIO, o.Polling)
			if ack := c.Call("send_message", map[string]any{"room_id": room, "content": content}); ack["status"] == "error" {
				t.Fatalf("send_message: %v", ack)
			}
			for {
				if m := c.Next("new_message").Arg(t); m["content"] == content {
					break
				}
			}
			if n, _ := c.Count("new_message"); n < 1 {
				t.Fatalf("Count(new_message) = %d", n)
			}
			c.Close()
			<-c.Closed
		})
	}
	// A refused CONNECT is an error with the server's data.
	if _, _, err := testkit.Dial(t, app.URL, testkit.DialOptions{Auth: map[string]string{"token": "bad"}}); err == nil {
		t.Fatal("a bad token connected")
	}
}

func register(t *testing.T, base, name string) string {
	t.Helper()
	m := post(t, base+"/api/users/register", "", map[string]any{"username": name, "email": name + "@example.com", "password": "secret-" + name}, http.StatusCreated)
	return m["access_token"].(string)
}

func createRoom(t *testing.T, base, token string) int64 {
	t.Helper()
	m := post(t, base+"/api/rooms", token, map[string]any{"name": "kit room"}, http.StatusCreated)
	return int64(m["id"].(float64))
}

func post(t *testing.T, url, token string, body any, want int) map[string]any {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(res.Body).Decode(&m)
	if res.StatusCode != want {
		t.Fatalf("POST %s: %d %v", url, res.StatusCode, m)
	}
	return m
}
