package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// fakeSocketIO is just enough of a Socket.IO server for one client: open,
// CONNECT, a join_room ack, then one delivery and one ping.
func fakeSocketIO(t *testing.T, delivery []byte, ponged *atomic.Bool) *httptest.Server {
	up := websocket.Upgrader{}
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/socket.io/" || r.URL.Query().Get("EIO") != "4" {
			http.Error(w, "bad path", 400)
			return
		}
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		ws.WriteMessage(websocket.TextMessage, []byte(`0{"sid":"s","pingInterval":25000}`))
		for {
			_, p, err := ws.ReadMessage()
			if err != nil {
				return
			}
			switch {
			case bytes.HasPrefix(p, []byte(`40{"token":"tok"}`)):
				// CONNECT answer and an event in one go, as a batching server sends them.
				ws.WriteMessage(websocket.TextMessage, []byte(`40{"sid":"x"}`))
				ws.WriteMessage(websocket.TextMessage, []byte(`42["connected",{}]`))
			case bytes.HasPrefix(p, []byte(`421["join_room",{"room_id":7}]`)):
				ws.WriteMessage(websocket.TextMessage, []byte(`431[{"status":"success"}]`))
				ws.WriteMessage(websocket.TextMessage, delivery)
				ws.WriteMessage(websocket.TextMessage, []byte("2"))
			case string(p) == "3":
				ponged.Store(true)
			}
		}
	}))
}

func TestClientAgainstAServer(t *testing.T) {
	for _, mode := range []string{"epoll", "goroutine"} {
		t.Run(mode, func(t *testing.T) {
			run := &runState{}
			run.step.Store(1)
			clients := newClients(1, 1, run, true)
			content := appendContent(nil, marker{step: 1, phase: phaseMeasure, sender: 0, seq: 0, sentNS: time.Now().UnixNano()}, 64)
			var ponged atomic.Bool
			srv := fakeSocketIO(t, []byte(`42["new_message",{"content":"`+string(content)+`"}]`), &ponged)
			defer srv.Close()
			wsURL, err := socketURL(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			p, err := newReader(mode)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			cs := connectAll(ctx, clients, 0, 1, wsURL, []string{"tok"}, 1, p)
			if cs.Failed != 0 {
				t.Fatalf("connect failed: %s", cs.FirstError)
			}
			if err := joinAll(ctx, clients, 0, 1, []int64{7}, 1); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(5 * time.Second)
			for (run.unique.Load() < 1 || !ponged.Load()) && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			if run.unique.Load() != 1 || !ponged.Load() {
				t.Fatalf("delivered %d, ponged %v", run.unique.Load(), ponged.Load())
			}
			closeAll(clients, run, p)
			if run.closed.Load() != 0 {
				t.Fatalf("closing on purpose counted as %d failures", run.closed.Load())
			}
		})
	}
}

func TestDialRefusedConnect(t *testing.T) {
	up := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		ws.WriteMessage(websocket.TextMessage, []byte(`0{}`))
		ws.ReadMessage()
		ws.WriteMessage(websocket.TextMessage, []byte(`44{"message":"invalid token"}`))
		ws.ReadMessage()
	}))
	defer srv.Close()
	wsURL, _ := socketURL(srv.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := dial(ctx, wsURL, "bad")
	if err == nil || !strings.Contains(err.Error(), "invalid token") {
		t.Fatalf("want the refusal reason, got %v", err)
	}
	if _, err := dial(ctx, "ws://127.0.0.1:1/socket.io/", "x"); err == nil {
		t.Fatal("dial to a closed port succeeded")
	}
}
