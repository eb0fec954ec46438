package sockets

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/izpochat/server/chat"
)

// The hub hands the raw door every event of every room; one for a room without
// raw clients (the usual case) costs it no encoding.
func TestRawDoorEncodesNothingForARoomWithoutClients(t *testing.T) {
	d := newRawDoor(context.Background(), Options{Logger: slog.New(slog.DiscardHandler)})
	ev := chat.Event{Type: chat.EventMessage, RoomID: 7,
		Message: &chat.Message{ID: 1, Type: "message", Content: strings.Repeat("x", 64), RoomID: 7}}
	if allocs := testing.AllocsPerRun(100, func() { d.render(ev) }); allocs != 0 {
		t.Fatalf("rendering a message for a room without raw clients allocated %v times a message, want 0", allocs)
	}
}
