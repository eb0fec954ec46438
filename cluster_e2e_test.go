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
	poll.WriteRaw(fmt.Sprintf(`42["join_room",{"room_id":%d}]`, room))
	poll.waitEvent(t, "users_online")

	// Everyone receives what alice sends on A, exactly once.
	sioAlice.send(t, room, "hello from A")
	for _, r := range []receiver{sioBob, nsCarol, rawDave, poll, sioFrank, upgraded} {
		expectOnce(t, r, "hello from A")
	}
	// The polling client, whose requests land on all three, sends too.
	poll.WriteRaw(fmt.Sprintf(`420["send_message",{"room_id":%d,"content":"hello from polling"}]`, room))
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
	poll.closeAndWait(t)

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

// expectDoorsCut waits until a user's every door on an instance is cut: the
// main namespace leaves the room for reason, /rooms/<id> and the raw door
// answer access_revoked.
func expectDoorsCut(t *testing.T, main, ns *e2eSIO, raw *e2eRaw, reason string) {
	t.Helper()
	if m := main.waitEvent(t, "left_room"); m["reason"] != reason {
		t.Fatalf("%s: left_room %v, want reason %q", main.name, m, reason)
	}
	if m := ns.waitEvent(t, "error"); m["code"] != "access_revoked" {
		t.Fatalf("%s: error %v", ns.name, m)
	}
	if m := raw.waitEvent(t, "error"); m["code"] != "access_revoked" {
		t.Fatalf("%s: error %v", raw.name, m)
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

// ---- Socket.IO clients: the test kit's, recording what they receive ----

// e2eSIO is the kit's client with every event it receives in a seenLog.
type e2eSIO struct {
	*seenLog
	*testkit.Client
}

func dialE2E(t *testing.T, in *instance, nsp, token string) *e2eSIO {
	t.Helper()
	c := testkit.MustDial(t, in.Base, testkit.DialOptions{Namespace: nsp, Auth: map[string]string{"token": token}})
	return recordE2E(c, in.Name+nsp)
}

// recordE2E moves every event c receives into a seenLog named name.
func recordE2E(c *testkit.Client, name string) *e2eSIO {
	s := &e2eSIO{seenLog: newSeenLog(name), Client: c}
	go func() {
		for {
			select {
			case ev := <-c.Events():
				e := e2eEvent{name: ev.Name}
				if len(ev.Args) > 0 {
					_ = json.Unmarshal(ev.Args[0], &e.arg)
				}
				s.record(e)
			case <-c.Closed:
				return
			}
		}
	}()
	return s
}

// emitAck sends an event and waits for its ack; ok reports status "success".
func (c *e2eSIO) emitAck(event string, payload any, timeout time.Duration) bool {
	args, ok := c.CallRaw(timeout, event, payload)
	if !ok || len(args) == 0 {
		return false
	}
	var res map[string]any
	_ = json.Unmarshal(args[0], &res)
	return res["status"] == "success"
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

// closeAndWait ends the session from the client's side and waits for its end.
func (c *e2eSIO) closeAndWait(t *testing.T) {
	t.Helper()
	c.Close()
	select {
	case <-c.Closed:
	case <-time.After(10 * time.Second):
		t.Errorf("%s: the session did not end after close", c.name)
	}
}

// pollingThenUpgrade does what socket.io-client does by default: handshake
// over polling (on first), CONNECT over polling (through second), then upgrade
// to websocket (through third); the session lives on first throughout.
func pollingThenUpgrade(t *testing.T, first, second, third *instance, token string) *e2eSIO {
	t.Helper()
	c := testkit.MustDial(t, first.Base, testkit.DialOptions{Polling: true, PollVia: []string{second.Base},
		UpgradeVia: third.Base, Auth: map[string]string{"token": token}})
	return recordE2E(c, "upgraded via "+third.Name)
}

// startRoundRobinPoller connects over polling with every request after the
// handshake (on the first instance) going to the next instance, in turn.
func startRoundRobinPoller(t *testing.T, ins []*instance, token string) *e2eSIO {
	t.Helper()
	var via []string
	for i := range ins {
		via = append(via, ins[(i+1)%len(ins)].Base)
	}
	c := testkit.MustDial(t, ins[0].Base, testkit.DialOptions{Polling: true, PollVia: via, Auth: map[string]string{"token": token}})
	p := recordE2E(c, "polling")
	p.waitEvent(t, "connected")
	return p
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

// startPair runs the server twice (instances "A" and "B") on one fresh
// PostgreSQL database and a private Redis, with secret as JWT_SECRET_KEY: the
// two-instance setup of the cluster end-to-end tests.
func startPair(t *testing.T, secret string) (a, b *instance) {
	t.Helper()
	bin := buildClusterBinary(t, "builds and runs the binary twice")
	rds := testkit.StartRedis(t)
	db := testdb.Config(t, "postgres")
	env := map[string]string{"DATABASE_URL": db.DSN, "REDIS_URL": rds.URL(), "JWT_SECRET_KEY": secret, "LOG_LEVEL": "info"}
	return startInstance(t, bin, "A", env), startInstance(t, bin, "B", env)
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
