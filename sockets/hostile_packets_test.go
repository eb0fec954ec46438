package sockets_test

import (
	"testing"
	"time"

	ws "github.com/gorilla/websocket"
)

// A client announcing a binary event with a million attachments and then
// streaming megabytes of them: the library's decoder would keep every one
// until the count arrives. The connection is refused at the announcement and
// the heap does not grow with what the client goes on sending.
func TestBinaryAttachmentsAreBounded(t *testing.T) {
	a := newApp(t, "sqlite")
	u := a.register("Attacher")
	c := mustDial(t, a, dialOpts{auth: map[string]any{"token": u.Token}})
	before := heapObjectBytes()

	c.writeRaw(`451000000-["send_message",{"_placeholder":true,"num":0}]`)
	chunk := make([]byte, 256<<10)
	const chunks = 192 // 48 MiB
	sent := 0
	unlock := c.LockWrites()
	for ; sent < chunks; sent++ {
		_ = c.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
		if c.conn.WriteMessage(ws.BinaryMessage, chunk) != nil {
			break
		}
	}
	unlock()

	select {
	case <-c.closed:
	case <-time.After(10 * time.Second):
		t.Fatalf("connection still open after the announcement and %d attachments of 256 KiB", sent)
	}
	if grown := int64(heapObjectBytes()) - int64(before); grown > 16<<20 {
		t.Fatalf("heap grew %d MiB after %d attachments of 256 KiB", grown>>20, sent)
	}
}

// An event or ack packet without arguments ("42", "42/admin", "451-") is
// decoded by the library with no data, and socket.io's handler asserts it is a
// list on a goroutine of its own: one such packet ended the whole process.
// Each is refused; the server goes on serving this client's next connection.
func TestEventsWithoutArgumentsAreRefused(t *testing.T) {
	a := newApp(t, "sqlite")
	u := a.register("Empty")
	for _, packet := range []string{"42", "421", "42/rooms/1", "43", "451-", "450-/x,7"} {
		c := mustDial(t, a, dialOpts{auth: map[string]any{"token": u.Token}})
		c.writeRaw(packet)
		select {
		case <-c.closed:
		case <-time.After(10 * time.Second):
			t.Fatalf("%q: connection still open", packet)
		}
	}
	c := mustDial(t, a, dialOpts{auth: map[string]any{"token": u.Token}})
	room := a.createRoom(u, "after", false)
	if ack := c.call("join_room", map[string]any{"room_id": room}); ack["status"] != "success" {
		t.Fatalf("join after the refused packets: %v", ack)
	}
}
