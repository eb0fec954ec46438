package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	ws "github.com/gorilla/websocket"

	"github.com/izpochat/server/internal/testdb"
	"github.com/izpochat/server/internal/testkit"
)

// TestClusterThreeInstances runs the real binary three times on one PostgreSQL
// schema and one (private) Redis, and checks what issue 6 promises: delivery
// across instances exactly once through every door, polling without sticky
// sessions, cluster-wide presence, a crashed instance, and a Redis restart.
func TestClusterThreeInstances(t *testing.T) {
	bin := buildClusterBinary(t, "builds and runs the binary three times")
	rds := testkit.StartRedis(t)
	db := testdb.Config(t, "postgres")
	env := map[string]string{
		"DATABASE_URL": db.DSN, "REDIS_URL": rds.URL(), "JWT_SECRET_KEY": "cluster-e2e-secret",
		"PRESENCE_TTL": "6", "LOG_LEVEL": "info",
	}
	// Every client comes from 127.0.0.1 and posts in bursts: rate limits lifted.
	maps.Copy(env, generousRateLimits)
	// One at a time: the first one migrates the schema.
	a := startInstance(t, bin, "A", env)
	b := startInstance(t, bin, "B", env)
	c := startInstance(t, bin, "C", env)

	alice, bob, carol := a.register(t, "alice"), b.register(t, "bob"), c.register(t, "carol")
	dave, erin, frank := c.register(t, "dave"), a.register(t, "erin"), a.register(t, "frank")
	room := a.createRoom(t, alice, "cluster")

	sioAlice := dialE2E(t, a, "/", alice.token)
	sioAlice.joinRoom(t, room)
	sioFrank := dialE2E(t, a, "/", frank.token) // a second client on A, for local delivery
	sioFrank.joinRoom(t, room)
	sioBob := dialE2E(t, b, "/", bob.token)
	sioBob.joinRoom(t, room)
	nsCarol := dialE2E(t, c, fmt.Sprintf("/rooms/%d", room), carol.token)
	rawDave := dialRaw(t, c, room, dave.token)
	gina := b.register(t, "gina")
	upgraded := pollingThenUpgrade(t, a, c, b, gina.token) // socket.io-client's default path, over three instances
	upgraded.joinRoom(t, room)
	poll := startRoundRobinPoller(t, []*instance{a, b, c}, erin.token)
	poll.post(fmt.Sprintf(`42["join_room",{"room_id":%d}]`, room))
	poll.waitEvent(t, "users_online")

	// Everyone receives what alice sends on A, exactly once.
	sioAlice.send(t, room, "hello from A")
	for _, r := range []receiver{sioBob, nsCarol, rawDave, poll, sioFrank, upgraded} {
		expectOnce(t, r, "hello from A")
	}
	// The polling client, whose requests land on all three, sends too.
	poll.post(fmt.Sprintf(`420["send_message",{"room_id":%d,"content":"hello from polling"}]`, room))
	for _, r := range []receiver{sioAlice, sioBob, nsCarol, rawDave} {
		expectOnce(t, r, "hello from polling")
	}

	// Presence is the cluster's: C lists users connected to A, B and C.
	online := c.online(t, room, carol.token)
	for _, name := range []string{"alice", "bob", "carol", "dave", "erin", "frank"} {
		if !online[name] {
			t.Errorf("presence on C lacks %s (connected elsewhere): %v", name, online)
		}
	}
	poll.close()

	// Redis restarts while alice keeps sending.
	var acked, failed int
	traffic := make(chan struct{})
	go func() {
		defer close(traffic)
		for i := range 60 {
			if sioAlice.sendAck(fmt.Sprintf("during restart %d", i), room) {
				acked++
			} else {
				failed++
			}
			time.Sleep(80 * time.Millisecond)
		}
	}()
	time.Sleep(800 * time.Millisecond)
	rds.Stop()
	for _, in := range []*instance{a, b, c} {
		in.waitHealth(t, "degraded", 10*time.Second)
	}
	// A keeps serving its own clients: frank (on A) gets what alice sends now.
	sioAlice.send(t, room, "while redis is down")
	expectOnce(t, sioFrank, "while redis is down")
	rds.Start()
	<-traffic
	for _, in := range []*instance{a, b, c} {
		in.waitHealth(t, "healthy", 20*time.Second)
	}
	if failed != 0 {
		t.Errorf("%d of 60 sends failed during the Redis restart", failed)
	}
	// Nothing acknowledged was lost: 2 earlier messages + "while redis is down".
	store := testdb.OpenEmpty(t, db)
	var stored int64
	if err := store.Table("messages").Where("room_id = ?", room).Count(&stored).Error; err != nil {
		t.Fatal(err)
	}
	if want := int64(acked + 3); stored != want {
		t.Errorf("stored %d messages, want %d (acknowledged)", stored, want)
	}
	// Cross-instance delivery resumes (subscribers reconnect with backoff).
	deadline := time.Now().Add(20 * time.Second)
	for i := 0; ; i++ {
		probe := fmt.Sprintf("probe %d", i)
		sioAlice.send(t, room, probe)
		if waitSeen(sioBob, probe, 500*time.Millisecond) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("delivery from A to B did not resume after the Redis restart")
		}
	}
	sioAlice.send(t, room, "after restart")
	for _, r := range []receiver{sioBob, nsCarol, rawDave, sioFrank} {
		expectOnce(t, r, "after restart")
	}

	// B crashes: its users leave the cluster's presence within 30 s.
	killed := time.Now()
	b.kill()
	for {
		online := c.online(t, room, carol.token)
		if !online["bob"] {
			if !online["alice"] || !online["carol"] {
				t.Errorf("presence lost live users: %v", online)
			}
			break
		}
		if time.Since(killed) > 30*time.Second {
			t.Fatal("bob still online 30 s after his instance was killed")
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Logf("crashed instance's users left presence after %v", time.Since(killed).Round(100*time.Millisecond))
}

// ---- instances ----

// instance is one server process of the cluster.
type instance struct{ *testkit.Process }

type account struct {
	id    int64
	token string
}

// startInstance runs bin as the instance name, reachable by the others at its
// own loopback address, with the shared settings on top.
func startInstance(t *testing.T, bin, name string, shared map[string]string) *instance {
	t.Helper()
	port := testkit.FreePort(t)
	env := map[string]string{"PORT": fmt.Sprint(port), "INSTANCE_ID": name, "INSTANCE_ADDR": fmt.Sprintf("127.0.0.1:%d", port)}
	for k, v := range shared {
		env[k] = v
	}
	return &instance{testkit.StartProcess(t, bin, name, env)}
}

// kill ends the instance with SIGKILL: no shutdown, as in a crash.
func (in *instance) kill() { in.Kill() }

// waitHealth waits until /health reports want ("healthy" or "degraded", both 200).
func (in *instance) waitHealth(t *testing.T, want string, timeout time.Duration) {
	t.Helper()
	in.WaitHealth(t, http.StatusOK, want, timeout)
}

func (in *instance) call(t *testing.T, method, path, token string, body any, want int) map[string]any {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, in.Base+path, r)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s on %s: %v", method, path, in.Name, err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		t.Fatalf("%s %s on %s: %d, want %d: %s", method, path, in.Name, res.StatusCode, want, out)
	}
	var m map[string]any
	_ = json.Unmarshal(out, &m)
	return m
}

func (in *instance) register(t *testing.T, name string) account {
	t.Helper()
	m := in.call(t, "POST", "/api/users/register", "", map[string]any{
		"username": name, "email": name + "@example.com", "password": "secret-" + name}, http.StatusCreated)
	return account{id: int64(m["user_id"].(float64)), token: m["access_token"].(string)}
}

func (in *instance) createRoom(t *testing.T, owner account, name string) int64 {
	t.Helper()
	m := in.call(t, "POST", "/api/rooms", owner.token, map[string]any{"name": name, "is_private": false}, http.StatusCreated)
	return int64(m["id"].(float64))
}

// online is the set of usernames GET /api/ws/rooms/{id}/online lists.
func (in *instance) online(t *testing.T, room int64, token string) map[string]bool {
	t.Helper()
	m := in.call(t, "GET", fmt.Sprintf("/api/ws/rooms/%d/online", room), token, nil, http.StatusOK)
	out := map[string]bool{}
	users, _ := m["online_users"].([]any)
	for _, u := range users {
		if um, ok := u.(map[string]any); ok {
			out[fmt.Sprint(um["username"])] = true
		}
	}
	return out
}

// ---- receivers: every client records the contents of the messages it got ----

type receiver interface {
	count(content string) int
	label() string
}

type seenLog struct {
	name string
	mu   sync.Mutex
	seen map[string]int
	evs  []e2eEvent
	cond chan struct{} // closed and replaced on every event
}

type e2eEvent struct {
	name string
	arg  map[string]any
}

func newSeenLog(name string) *seenLog {
	return &seenLog{name: name, seen: map[string]int{}, cond: make(chan struct{})}
}

func (l *seenLog) record(ev e2eEvent) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ev.name == "new_message" || ev.name == "message" {
		if content, ok := ev.arg["content"].(string); ok {
			l.seen[content]++
		}
	}
	l.evs = append(l.evs, ev)
	close(l.cond)
	l.cond = make(chan struct{})
}

func (l *seenLog) count(content string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.seen[content]
}

func (l *seenLog) label() string { return l.name }

// waitEvent waits for an event named name (any time since connecting).
func (l *seenLog) waitEvent(t *testing.T, name string) map[string]any {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for i := 0; ; {
		l.mu.Lock()
		for ; i < len(l.evs); i++ {
			if l.evs[i].name == name {
				ev := l.evs[i]
				l.mu.Unlock()
				return ev.arg
			}
		}
		wake := l.cond
		l.mu.Unlock()
		select {
		case <-wake:
		case <-deadline:
			t.Fatalf("%s: no %q event", l.name, name)
		}
	}
}

func waitSeen(r receiver, content string, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if r.count(content) > 0 {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}

// expectOnce waits for content, then a little longer to catch a duplicate.
func expectOnce(t *testing.T, r receiver, content string) {
	t.Helper()
	if !waitSeen(r, content, 10*time.Second) {
		t.Errorf("%s never received %q", r.label(), content)
		return
	}
	time.Sleep(300 * time.Millisecond)
	if n := r.count(content); n != 1 {
		t.Errorf("%s received %q %d times, want exactly once", r.label(), content, n)
	}
}

// ---- a hand-written Socket.IO (EIO=4) websocket client ----

type e2eSIO struct {
	*seenLog
	conn   *ws.Conn
	prefix string // "" for "/", "<nsp>," otherwise
	wmu    sync.Mutex
	amu    sync.Mutex
	nextID int
	acks   map[int]chan []json.RawMessage
}

func dialE2E(t *testing.T, in *instance, nsp, token string) *e2eSIO {
	t.Helper()
	u := "ws" + strings.TrimPrefix(in.Base, "http") + "/socket.io/?EIO=4&transport=websocket"
	conn, _, err := ws.DefaultDialer.Dial(u, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", u, err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	c := &e2eSIO{seenLog: newSeenLog(in.Name + nsp), conn: conn, acks: map[int]chan []json.RawMessage{}}
	if nsp != "/" {
		c.prefix = nsp + ","
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, open, err := conn.ReadMessage(); err != nil || !strings.HasPrefix(string(open), "0") {
		t.Fatalf("open packet: %q %v", open, err)
	}
	c.write("40" + c.prefix + `{"token":"` + token + `"}`)
	for {
		_, msg, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("connect %s: %v", nsp, err)
		}
		s := string(msg)
		if s == "2" {
			c.write("3")
			continue
		}
		if strings.HasPrefix(s, "44"+c.prefix) {
			t.Fatalf("connect %s refused: %s", nsp, s)
		}
		if strings.HasPrefix(s, "40"+c.prefix) {
			break
		}
	}
	_ = conn.SetReadDeadline(time.Time{})
	go c.readLoop()
	return c
}

func (c *e2eSIO) write(s string) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.conn.WriteMessage(ws.TextMessage, []byte(s))
}

func (c *e2eSIO) readLoop() {
	for {
		_, msg, err := c.conn.ReadMessage()
		if err != nil {
			return
		}
		s := string(msg)
		switch {
		case s == "2":
			c.write("3")
		case strings.HasPrefix(s, "42"+c.prefix):
			if ev, ok := parseEvent(s[2+len(c.prefix):]); ok {
				c.record(ev)
			}
		case strings.HasPrefix(s, "43"+c.prefix):
			body := s[2+len(c.prefix):]
			i := strings.IndexByte(body, '[')
			var id int
			if i < 0 || json.Unmarshal([]byte(body[:i]), &id) != nil {
				continue
			}
			var args []json.RawMessage
			_ = json.Unmarshal([]byte(body[i:]), &args)
			c.amu.Lock()
			ch := c.acks[id]
			delete(c.acks, id)
			c.amu.Unlock()
			if ch != nil {
				ch <- args
			}
		}
	}
}

// parseEvent reads `["name", {arg}]`, skipping a leading ack id.
func parseEvent(body string) (e2eEvent, bool) {
	if i := strings.IndexByte(body, '['); i > 0 {
		body = body[i:]
	}
	var arr []json.RawMessage
	if json.Unmarshal([]byte(body), &arr) != nil || len(arr) == 0 {
		return e2eEvent{}, false
	}
	var ev e2eEvent
	_ = json.Unmarshal(arr[0], &ev.name)
	if len(arr) > 1 {
		_ = json.Unmarshal(arr[1], &ev.arg)
	}
	return ev, true
}

// emitAck sends an event and waits for its ack; ok reports status "success".
func (c *e2eSIO) emitAck(event string, payload any, timeout time.Duration) bool {
	c.amu.Lock()
	id := c.nextID
	c.nextID++
	ch := make(chan []json.RawMessage, 1)
	c.acks[id] = ch
	c.amu.Unlock()
	data, _ := json.Marshal([]any{event, payload})
	c.write(fmt.Sprintf("42%s%d%s", c.prefix, id, data))
	select {
	case args := <-ch:
		var res map[string]any
		if len(args) > 0 {
			_ = json.Unmarshal(args[0], &res)
		}
		return res["status"] == "success"
	case <-time.After(timeout):
		return false
	}
}

func (c *e2eSIO) joinRoom(t *testing.T, room int64) {
	t.Helper()
	if !c.emitAck("join_room", map[string]any{"room_id": room}, 10*time.Second) {
		t.Fatalf("%s: join_room %d failed", c.name, room)
	}
}

func (c *e2eSIO) sendAck(content string, room int64) bool {
	return c.emitAck("send_message", map[string]any{"room_id": room, "content": content}, 10*time.Second)
}

func (c *e2eSIO) send(t *testing.T, room int64, content string) {
	t.Helper()
	if !c.sendAck(content, room) {
		t.Fatalf("%s: send_message %q not acknowledged", c.name, content)
	}
}

// pollingThenUpgrade does what socket.io-client does by default: handshake
// over polling (on first), CONNECT over polling (through second), then upgrade
// to websocket (through third); the session lives on first throughout.
func pollingThenUpgrade(t *testing.T, first, second, third *instance, token string) *e2eSIO {
	t.Helper()
	res, err := http.Get(first.Base + "/socket.io/?EIO=4&transport=polling")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	var hs struct {
		Sid string `json:"sid"`
	}
	if !strings.HasPrefix(string(body), "0") || json.Unmarshal(body[1:], &hs) != nil || hs.Sid == "" {
		t.Fatalf("polling handshake: %d %q", res.StatusCode, body)
	}
	q := "/socket.io/?EIO=4&transport=polling&sid=" + hs.Sid
	res, err = http.Post(second.Base+q, "text/plain;charset=UTF-8", strings.NewReader(`40{"token":"`+token+`"}`))
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("CONNECT over polling through %s: %v %v", second.Name, res, err)
	}
	res.Body.Close()
	res, err = http.Get(second.Base + q)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.HasPrefix(string(body), "40") {
		t.Fatalf("CONNECT answer over polling: %q", body)
	}
	u := "ws" + strings.TrimPrefix(third.Base, "http") + "/socket.io/?EIO=4&transport=websocket&sid=" + hs.Sid
	conn, _, err := ws.DefaultDialer.Dial(u, nil)
	if err != nil {
		t.Fatalf("upgrade through %s: %v", third.Name, err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	_ = conn.WriteMessage(ws.TextMessage, []byte("2probe"))
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, msg, err := conn.ReadMessage(); err != nil || string(msg) != "3probe" {
		t.Fatalf("probe through %s: %q %v", third.Name, msg, err)
	}
	_ = conn.WriteMessage(ws.TextMessage, []byte("5"))
	_ = conn.SetReadDeadline(time.Time{})
	c := &e2eSIO{seenLog: newSeenLog("upgraded via " + third.Name), conn: conn, acks: map[int]chan []json.RawMessage{}}
	go c.readLoop()
	return c
}

// ---- the raw WebSocket door ----

type e2eRaw struct{ *seenLog }

func dialRaw(t *testing.T, in *instance, room int64, token string) *e2eRaw {
	t.Helper()
	u := fmt.Sprintf("ws%s/api/ws/%d?token=%s", strings.TrimPrefix(in.Base, "http"), room, token)
	conn, _, err := ws.DefaultDialer.Dial(u, nil)
	if err != nil {
		t.Fatalf("dial raw %s: %v", u, err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	r := &e2eRaw{newSeenLog(in.Name + " raw")}
	go func() {
		for {
			_, msg, err := conn.ReadMessage()
			if err != nil {
				return
			}
			var m map[string]any
			if json.Unmarshal(msg, &m) != nil {
				continue
			}
			name, _ := m["type"].(string)
			if _, ok := m["content"]; ok {
				name = "message"
			}
			r.record(e2eEvent{name: name, arg: m})
		}
	}()
	return r
}

// ---- a polling client whose every request goes to the next instance ----

type roundRobinPoller struct {
	*seenLog
	t     *testing.T
	bases []string
	sid   string
	mu    sync.Mutex
	next  int
	done  chan struct{}
}

func startRoundRobinPoller(t *testing.T, ins []*instance, token string) *roundRobinPoller {
	t.Helper()
	p := &roundRobinPoller{seenLog: newSeenLog("polling"), t: t, done: make(chan struct{})}
	for _, in := range ins {
		p.bases = append(p.bases, in.Base)
	}
	res, err := http.Get(p.bases[0] + "/socket.io/?EIO=4&transport=polling")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	var hs struct {
		Sid string `json:"sid"`
	}
	if !strings.HasPrefix(string(body), "0") || json.Unmarshal(body[1:], &hs) != nil || hs.Sid == "" {
		t.Fatalf("polling handshake: %d %q", res.StatusCode, body)
	}
	p.sid = hs.Sid
	p.next = 1 // the handshake went to the first instance
	p.post(`40{"token":"` + token + `"}`)
	go p.pollLoop()
	p.waitEvent(t, "connected")
	return p
}

func (p *roundRobinPoller) url() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	base := p.bases[p.next%len(p.bases)]
	p.next++
	return base + "/socket.io/?EIO=4&transport=polling&sid=" + p.sid
}

func (p *roundRobinPoller) post(packets ...string) {
	p.t.Helper()
	res, err := http.Post(p.url(), "text/plain;charset=UTF-8", strings.NewReader(strings.Join(packets, "\x1e")))
	if err != nil {
		p.t.Fatalf("polling post: %v", err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || string(body) != "ok" {
		p.t.Fatalf("polling post: %d %s", res.StatusCode, body)
	}
}

func (p *roundRobinPoller) pollLoop() {
	defer close(p.done)
	for {
		res, err := http.Get(p.url())
		if err != nil {
			return
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return
		}
		for _, pkt := range strings.Split(string(body), "\x1e") {
			switch {
			case pkt == "2":
				go func() { _, _ = http.Post(p.url(), "text/plain;charset=UTF-8", strings.NewReader("3")) }()
			case pkt == "1":
				return
			case strings.HasPrefix(pkt, "42"):
				if ev, ok := parseEvent(pkt[2:]); ok {
					p.record(ev)
				}
			}
		}
	}
}

// close ends the session (Engine.IO close packet) and waits for the poll loop.
func (p *roundRobinPoller) close() {
	p.post("1")
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.t.Error("polling loop did not end after close")
	}
}

// buildClusterBinary builds the server for a test that runs it as several
// instances on a private Redis; it skips in -short mode (why says what the test
// runs) and where redis-server is not installed.
func buildClusterBinary(t *testing.T, why string) string {
	t.Helper()
	if testing.Short() {
		t.Skip(why)
	}
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server not installed")
	}
	return testkit.BuildServer(t, ".")
}
