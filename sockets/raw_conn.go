package sockets

import (
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	ws "github.com/gorilla/websocket"

	"github.com/izpochat/server/chat"
	"github.com/izpochat/server/sockets/internal/ratelimit"
)

// rawConn is one raw WebSocket client. Frames for it go through a bounded queue
// drained by its own writer, so a slow client never holds up anyone else: when
// its queue is full it is dropped.
type rawConn struct {
	id     string
	roomID int64
	actor  chat.Actor
	conn   *ws.Conn
	limit  *ratelimit.Bucket
	log    *slog.Logger

	writeTimeout time.Duration
	out          chan []byte
	done         chan struct{}
	closeOnce    sync.Once
	// closeFrame is the close frame the writer sends before closing (if any),
	// lastFrame a frame it sends just before that (the reason, in JSON).
	mu         sync.Mutex
	closeFrame []byte
	lastFrame  []byte
}

// send queues a frame; it never blocks. A full queue drops the client.
func (c *rawConn) send(frame []byte) {
	select {
	case <-c.done:
		return
	default:
	}
	select {
	case c.out <- frame:
	default:
		c.log.Warn("raw websocket client too slow, dropping it",
			"conn", c.id, "room_id", c.roomID, "user_id", c.actor.ID, "queued", len(c.out))
		c.closeWith(ws.ClosePolicyViolation, "send queue overflow: client too slow")
	}
}

// sendJSON encodes v and queues it.
func (c *rawConn) sendJSON(v any) {
	frame, err := json.Marshal(v)
	if err != nil {
		c.log.Error("encode raw websocket frame", "err", err)
		return
	}
	c.send(frame)
}

// closeWith ends the connection with a close frame (sent by the writer, after
// nothing else) and stops the reader.
func (c *rawConn) closeWith(code int, reason string) {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.closeFrame = ws.FormatCloseMessage(code, reason)
		c.mu.Unlock()
		close(c.done)
	})
}

// closeWithNotice ends the connection with one last frame, then the close
// frame: what was still queued before it is dropped.
func (c *rawConn) closeWithNotice(notice []byte, code int, reason string) {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.lastFrame = notice
		c.closeFrame = ws.FormatCloseMessage(code, closeReason(reason))
		c.mu.Unlock()
		close(c.done)
	})
}

// closeReason cuts a close frame's reason to what fits (123 bytes).
func closeReason(reason string) string {
	if len(reason) > 120 {
		return reason[:120]
	}
	return reason
}

// writeLoop writes queued frames until the connection is done, pinging the
// client every pingEvery so a vanished peer is noticed.
func (c *rawConn) writeLoop(pingEvery time.Duration) {
	ticker := time.NewTicker(pingEvery)
	defer ticker.Stop()
	defer c.conn.Close()
	for {
		select {
		case frame := <-c.out:
			if err := c.write(ws.TextMessage, frame); err != nil {
				c.log.Warn("raw websocket write failed, dropping client",
					"conn", c.id, "room_id", c.roomID, "user_id", c.actor.ID, "err", err)
				c.closeWith(ws.CloseAbnormalClosure, "")
				return
			}
		case <-ticker.C:
			if err := c.write(ws.PingMessage, nil); err != nil {
				c.closeWith(ws.CloseAbnormalClosure, "")
				return
			}
		case <-c.done:
			c.mu.Lock()
			frame, last := c.closeFrame, c.lastFrame
			c.mu.Unlock()
			if last != nil {
				_ = c.write(ws.TextMessage, last)
			}
			if frame != nil {
				_ = c.conn.WriteControl(ws.CloseMessage, frame, time.Now().Add(time.Second))
			}
			return
		}
	}
}

func (c *rawConn) write(kind int, data []byte) error {
	if err := c.conn.SetWriteDeadline(time.Now().Add(c.writeTimeout)); err != nil {
		return err
	}
	return c.conn.WriteMessage(kind, data)
}
