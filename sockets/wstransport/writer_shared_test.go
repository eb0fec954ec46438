package wstransport

import (
	"fmt"
	"testing"
	"time"

	"github.com/zishang520/engine.io-go-parser/packet"
	"github.com/zishang520/engine.io/v2/types"
	"github.com/zishang520/socket.io/v2/socket"
)

// sharedPacket is a broadcast packet as the Socket.IO door pre-encodes it.
func sharedPacket(event, arg string) *packet.Packet {
	text := fmt.Sprintf(`2["%s","%s"]`, event, arg)
	return &packet.Packet{Type: packet.MESSAGE, Data: types.NewStringBufferString(text),
		Options: &packet.Options{WsPreEncodedFrame: types.NewStringBufferString("4" + text)}}
}

// TestSharedPacketsKeepOrderWithEmits: packets queued with SendShared and
// ordinary emits reach the client in the order they were sent, each once.
func TestSharedPacketsKeepOrderWithEmits(t *testing.T) {
	const n = 200
	useTransport(t, NewBuilder(Options{}))
	srv := startServer(t, nil, func(s *socket.Socket) {
		s.On("burst", func(...any) {
			tr, ok := s.Conn().Transport().(*transport)
			if !ok {
				t.Errorf("transport is %T, want ours", s.Conn().Transport())
				return
			}
			for i := 0; i < n; i++ {
				if !tr.SendShared(sharedPacket("m", fmt.Sprintf("b%d", i))) {
					t.Errorf("SendShared %d refused", i)
				}
				s.Emit("m", fmt.Sprintf("p%d", i))
			}
		})
	})
	c, _ := connectV4(t, srv, 0)
	c.startReading()
	c.emit(t, "burst")
	for i := 0; i < n; i++ {
		for _, want := range []string{fmt.Sprintf("b%d", i), fmt.Sprintf("p%d", i)} {
			ev, ok := c.nextEvent(t, 2*time.Second)
			if !ok {
				t.Fatalf("stalled waiting for %s", want)
			}
			if got := argString(t, ev, 0); got != want {
				t.Fatalf("got %s, want %s", got, want)
			}
		}
	}
	if ev, ok := c.nextEvent(t, 100*time.Millisecond); ok {
		t.Fatalf("extra event after the burst: %v", ev)
	}
}

// TestWriterGoesIdleAfterWriting: once its queue is written a connection
// holds no writer and no queue, and its flusher's goroutine ends.
func TestWriterGoesIdleAfterWriting(t *testing.T) {
	useTransport(t, NewBuilder(Options{}))
	trs := make(chan *transport, 1)
	srv := startServer(t, nil, func(s *socket.Socket) {
		s.On("ping-me", func(...any) {
			trs <- s.Conn().Transport().(*transport)
			s.Emit("m", "pong")
		})
	})
	c, _ := connectV4(t, srv, 0)
	c.startReading()
	c.emit(t, "ping-me")
	if ev, ok := c.nextEvent(t, 2*time.Second); !ok || argString(t, ev, 0) != "pong" {
		t.Fatalf("no reply: %v", ev)
	}
	tr := <-trs
	deadline := time.Now().Add(time.Second)
	for {
		tr.mu.Lock()
		idle := tr.state == stateIdle && tr.queue == nil
		tr.mu.Unlock()
		tr.flusher.mu.Lock()
		running := tr.flusher.running.Load()
		tr.flusher.mu.Unlock()
		if idle && !running {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("a second after the last packet: idle %v, flusher running %v", idle, running)
		}
		time.Sleep(time.Millisecond)
	}
}
