package sockets_test

import (
	"runtime"
	"runtime/metrics"
	"testing"
	"time"

	ws "github.com/gorilla/websocket"
)

// heapObjectBytes is the live heap after a collection.
func heapObjectBytes() int64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64())
}

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
	c.wmu.Lock()
	for ; sent < chunks; sent++ {
		_ = c.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
		if c.conn.WriteMessage(ws.BinaryMessage, chunk) != nil {
			break
		}
	}
	c.wmu.Unlock()

	select {
	case <-c.closed:
	case <-time.After(10 * time.Second):
		t.Fatalf("connection still open after the announcement and %d attachments of 256 KiB", sent)
	}
	if grown := heapObjectBytes() - before; grown > 16<<20 {
		t.Fatalf("heap grew %d MiB after %d attachments of 256 KiB", grown>>20, sent)
	}
}
