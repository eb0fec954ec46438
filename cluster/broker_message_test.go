package cluster

import (
	"context"
	"testing"
	"time"

	"github.com/izpochat/server/chat"
)

// TestBrokerCarriesWholeMessages: a message event (with its times and file)
// reaches the other instance intact, not just events without a message.
func TestBrokerCarriesWholeMessages(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	channel := uniq(t)
	a := newInstance(t, ctx, sharedRedisURL, "a", channel)
	b := newInstance(t, ctx, sharedRedisURL, "b", channel)
	waitSubscribers(t, sharedRedis(t), channel, 2)
	got := make(chan chat.Event, 1)
	b.hub.Listen(func(ev chat.Event) { got <- ev })

	at := time.Date(2026, 5, 6, 7, 8, 9, 10000, time.UTC)
	url := "/uploads/x.png"
	sent := chat.Message{ID: 42, Type: "message", Content: "hi", UserID: 1, Username: "alice", RoomID: 3,
		CreatedAt: chat.Time(at), Timestamp: chat.Time(at), FileURL: &url,
		File: &chat.File{ID: 9, Filename: "x.png", CreatedAt: chat.Time(at)}, Sender: chat.UserRef{ID: 1, Username: "alice"},
		SenderID: 1, Room: chat.RoomRef{ID: 3, Name: "lobby"}}
	if err := a.hub.Publish(ctx, chat.Event{Type: chat.EventMessage, RoomID: 3, Message: &sent}); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-got:
		m := ev.Message
		if m == nil || m.ID != 42 || m.Content != "hi" || !time.Time(m.CreatedAt).Equal(at) ||
			m.File == nil || !time.Time(m.File.CreatedAt).Equal(at) || m.FileURL == nil || *m.FileURL != url ||
			m.SenderID != 1 || m.Room != sent.Room {
			t.Fatalf("message arrived changed: %+v", m)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("message event did not reach the other instance")
	}
}
