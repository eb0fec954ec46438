package redisadapter

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/zishang520/socket.io/v2/socket"
)

// nodePeer is e2e/cluster/peer.js: a Node Socket.IO server with
// @socket.io/redis-adapter and one client of its own in room r1.
type nodePeer struct {
	stdin io.WriteCloser
	sid   string
	mu    sync.Mutex
	lines []map[string]any
}

func startNodePeer(t *testing.T, key string) *nodePeer {
	t.Helper()
	dir, _ := filepath.Abs("../../e2e/cluster")
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node not installed; the Node interop test needs node and `npm ci --prefix e2e/cluster`")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@socket.io", "redis-adapter")); err != nil {
		t.Skip("e2e/cluster/node_modules missing; run `npm ci --prefix e2e/cluster` to run the Node interop test")
	}
	cmd := exec.Command("node", "peer.js")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "REDIS_URL="+sharedRedisURL, "ADAPTER_KEY="+key, fmt.Sprintf("PORT=%d", freePort(t)))
	cmd.Stderr = os.Stderr
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start node peer: %v", err)
	}
	t.Cleanup(func() { _ = stdin.Close(); _ = cmd.Process.Kill(); _ = cmd.Wait() })
	p := &nodePeer{stdin: stdin}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) != nil {
				continue
			}
			if m["ready"] == true {
				ready <- fmt.Sprint(m["sid"])
				continue
			}
			p.mu.Lock()
			p.lines = append(p.lines, m)
			p.mu.Unlock()
		}
	}()
	select {
	case p.sid = <-ready:
	case <-time.After(15 * time.Second):
		t.Fatal("node peer did not start")
	}
	return p
}

func (p *nodePeer) send(t *testing.T, cmd map[string]any) {
	t.Helper()
	b, _ := json.Marshal(cmd)
	if _, err := p.stdin.Write(append(b, '\n')); err != nil {
		t.Fatal(err)
	}
}

// find returns the lines for which match holds.
func (p *nodePeer) find(match func(map[string]any) bool) []map[string]any {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []map[string]any
	for _, l := range p.lines {
		if match(l) {
			out = append(out, l)
		}
	}
	return out
}

func TestNodeInteropBroadcastsBothWays(t *testing.T) {
	key := uniq(t)
	node := startNodePeer(t, key)
	goSrv := newSIONode(t, sharedRedisURL, key)
	waitSubscribers(t, sharedRedis(t), key+"-request#/#", 2)
	goClient := dialClient(t, goSrv.http.URL, "rooms=r1")

	// Node -> Go
	node.send(t, map[string]any{"cmd": "emit", "room": "r1", "event": "from-node", "data": map[string]any{"n": 1, "s": "é"}})
	got := goClient.waitFor("from-node", 1)
	if want := []any{"from-node", map[string]any{"n": float64(1), "s": "é"}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Go client got %v, want %v", got, want)
	}

	// Go -> Node, with a struct following its json tags.
	type payload struct {
		RoomID int64  `json:"room_id"`
		Text   string `json:"text"`
	}
	goSrv.io.To("r1").Emit("from-go", payload{RoomID: 5, Text: "hi"})
	var lines []map[string]any
	eventually(t, 5*time.Second, "the Node client to get the Go broadcast", func() bool {
		lines = node.find(func(l map[string]any) bool { return l["client"] == "from-go" })
		return len(lines) > 0
	})
	if want := []any{map[string]any{"room_id": float64(5), "text": "hi"}}; !reflect.DeepEqual(lines[0]["args"], want) {
		t.Fatalf("Node client got %v, want %v", lines[0]["args"], want)
	}

	// fetchSockets from Node sees the Go server's socket, and from Go the Node one.
	node.send(t, map[string]any{"cmd": "fetch", "room": "r1"})
	eventually(t, 5*time.Second, "Node fetchSockets", func() bool {
		lines = node.find(func(l map[string]any) bool { _, ok := l["fetched"]; return ok })
		return len(lines) > 0
	})
	ids, _ := lines[0]["fetched"].([]any)
	var fetched []string
	for _, id := range ids {
		fetched = append(fetched, fmt.Sprint(id))
	}
	want := []string{goClient.SocketID, node.sid}
	sort.Strings(want)
	sort.Strings(fetched)
	if !reflect.DeepEqual(fetched, want) {
		t.Fatalf("Node fetchSockets(r1) = %v (%v), want %v", fetched, lines[0]["error"], want)
	}
	done := make(chan []string, 1)
	goSrv.io.In("r1").FetchSockets()(func(ss []*socket.RemoteSocket, err error) {
		var ids []string
		for _, s := range ss {
			ids = append(ids, string(s.Id()))
		}
		sort.Strings(ids)
		done <- ids
	})
	select {
	case ids := <-done:
		if !reflect.DeepEqual(ids, want) {
			t.Fatalf("Go fetchSockets(r1) = %v, want %v", ids, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Go fetchSockets did not answer")
	}

	// serverSideEmit both ways.
	if err := goSrv.io.ServerSideEmit("note", "go-says"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "Node to get the Go server-side event", func() bool {
		return len(node.find(func(l map[string]any) bool { return reflect.DeepEqual(l["sse"], []any{"go-says"}) })) == 1
	})
	node.send(t, map[string]any{"cmd": "sse", "event": "note", "data": "node-says"})
	select {
	case args := <-goSrv.sse:
		if !reflect.DeepEqual(args, []any{"node-says"}) {
			t.Fatalf("Go got server-side event %v", args)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Go did not get the Node server-side event")
	}

	time.Sleep(200 * time.Millisecond)
	if n, _ := goClient.count("from-node"); n != 1 {
		t.Fatalf("Go client got the Node broadcast %d times, want once", n)
	}
	if n := len(node.find(func(l map[string]any) bool { return l["client"] == "from-go" })); n != 1 {
		t.Fatalf("Node client got the Go broadcast %d times, want once", n)
	}
}
