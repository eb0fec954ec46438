// Command thinserver is the thinnest server that speaks the frames the load
// generator uses: no database, no auth, no Socket.IO library — a websocket,
// an in-memory room map and one pre-encoded frame per message shared by every
// member. It is not IzpoChat; it calibrates the generator (how fast can it
// measure?) and shows the ceiling a real server could approach on one core.
//
//	PORT=5702 bench/.bin/thinserver
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/gorilla/websocket"
)

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "5702"
	}
	s := &server{rooms: map[int64]map[*conn]struct{}{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, 200, map[string]string{"status": "healthy"})
	})
	mux.HandleFunc("POST /api/users/register", s.session)
	mux.HandleFunc("POST /api/users/login", s.session)
	mux.HandleFunc("POST /api/rooms", s.createRoom)
	mux.HandleFunc("GET /api/rooms/{id}/messages", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, 200, []any{}) })
	mux.HandleFunc("/socket.io/", s.socket)
	slog.Info("thinserver listening", "port", port)
	if err := http.ListenAndServe(":"+port, mux); err != nil {
		slog.Error("serve", "err", err)
		os.Exit(1)
	}
}

type server struct {
	nextUser, nextRoom, nextMsg, nextSID atomic.Int64
	mu                                   sync.RWMutex
	rooms                                map[int64]map[*conn]struct{}
}

type conn struct {
	ws  *websocket.Conn
	wmu sync.Mutex
}

func (c *conn) write(p []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.ws.WriteMessage(websocket.TextMessage, p)
}

func (c *conn) writePrepared(pm *websocket.PreparedMessage) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.ws.WritePreparedMessage(pm)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *server) session(w http.ResponseWriter, _ *http.Request) {
	id := s.nextUser.Add(1)
	writeJSON(w, 201, map[string]any{"access_token": "thin-" + strconv.FormatInt(id, 10), "user_id": id})
}

func (s *server) createRoom(w http.ResponseWriter, _ *http.Request) {
	id := s.nextRoom.Add(1)
	s.mu.Lock()
	s.rooms[id] = map[*conn]struct{}{}
	s.mu.Unlock()
	writeJSON(w, 201, map[string]any{"id": id})
}

var upgrader = websocket.Upgrader{ReadBufferSize: 1024, WriteBufferSize: 1024, WriteBufferPool: &sync.Pool{}, CheckOrigin: func(*http.Request) bool { return true }}

func (s *server) socket(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("transport") != "websocket" {
		http.Error(w, "websocket only", http.StatusBadRequest)
		return
	}
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &conn{ws: ws}
	sid := strconv.FormatInt(s.nextSID.Add(1), 36)
	joined := map[int64]bool{}
	defer func() {
		s.mu.Lock()
		for id := range joined {
			delete(s.rooms[id], c)
		}
		s.mu.Unlock()
		ws.Close()
	}()
	if c.write([]byte(`0{"sid":"`+sid+`","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`)) != nil {
		return
	}
	for {
		_, p, err := ws.ReadMessage()
		if err != nil {
			return
		}
		switch {
		case len(p) == 1 && p[0] == '3': // pong
		case bytes.HasPrefix(p, []byte("40")):
			_ = c.write([]byte(`40{"sid":"` + sid + `"}`))
		case bytes.HasPrefix(p, []byte("42")):
			s.event(c, p[2:], joined)
		}
	}
}

// event handles `42<ack id?>[name, data]`.
func (s *server) event(c *conn, p []byte, joined map[int64]bool) {
	i := 0
	for i < len(p) && p[i] >= '0' && p[i] <= '9' {
		i++
	}
	ackID, body := string(p[:i]), p[i:]
	var args []json.RawMessage
	if json.Unmarshal(body, &args) != nil || len(args) < 2 {
		return
	}
	var name string
	var data struct {
		RoomID  int64  `json:"room_id"`
		Content string `json:"content"`
	}
	if json.Unmarshal(args[0], &name) != nil || json.Unmarshal(args[1], &data) != nil {
		return
	}
	switch name {
	case "join_room":
		s.mu.Lock()
		members, ok := s.rooms[data.RoomID]
		if ok {
			members[c] = struct{}{}
			joined[data.RoomID] = true
		}
		s.mu.Unlock()
		if ackID != "" {
			_ = c.write([]byte(`43` + ackID + `[{"status":"success"}]`))
		} else {
			_ = c.write([]byte(fmt.Sprintf(`42["users_online",{"room_id":%d}]`, data.RoomID)))
		}
	case "send_message":
		id := s.nextMsg.Add(1)
		content, _ := json.Marshal(strings.TrimSpace(data.Content))
		frame := fmt.Sprintf(`42["new_message",{"id":%d,"content":%s,"room_id":%d,"type":"message"}]`, id, content, data.RoomID)
		pm, err := websocket.NewPreparedMessage(websocket.TextMessage, []byte(frame))
		if err != nil {
			return
		}
		s.mu.RLock()
		members := make([]*conn, 0, len(s.rooms[data.RoomID]))
		for m := range s.rooms[data.RoomID] {
			members = append(members, m)
		}
		s.mu.RUnlock()
		for _, m := range members {
			_ = m.writePrepared(pm)
		}
		_ = c.write([]byte(fmt.Sprintf(`42["message_sent",{"status":"success","message_id":%d}]`, id)))
	}
}
