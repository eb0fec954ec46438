package main

import (
	"context"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// A storm opens and joins every client at once through openAll; a client that
// cannot connect is counted as failed, not waited for.
func TestOpenAllOpensAndJoinsAtOnce(t *testing.T) {
	var ponged atomic.Bool
	srv := fakeSocketIO(t, []byte(`42["users_online",[]]`), &ponged)
	defer srv.Close()
	wsURL, err := socketURL(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	p, err := newReader("epoll")
	if err != nil {
		t.Fatal(err)
	}
	run := &runState{}
	clients := newClients(5, 5, run, false)
	cs := openAll(context.Background(), clients, 0, len(clients), len(clients), func(ctx context.Context, c *client) error {
		url := wsURL
		if c.idx == 4 {
			url = "ws://127.0.0.1:1/socket.io/" // nothing listens there
		}
		if err := c.open(ctx, url, "tok", p); err != nil {
			return err
		}
		return c.join(ctx, 7)
	})
	defer closeAll(clients, run, p)
	if cs.Attempted != 5 || cs.Failed != 1 || cs.FirstError == "" {
		t.Fatalf("attempted %d failed %d (%q), want 5 and 1", cs.Attempted, cs.Failed, cs.FirstError)
	}
	if cs.Latency.Count != 4 {
		t.Fatalf("latency of %d opens recorded, want the 4 that succeeded", cs.Latency.Count)
	}
	if clients[4].ws != nil {
		t.Fatal("a failed client kept a connection")
	}
}

// The storm row takes each server's slowest round and meets the target only
// within 5 s, at ≤ 0.4 ms per reconnect and a third of Node's CPU or less.
func TestTableStormRow(t *testing.T) {
	for _, tc := range []struct {
		name         string
		goSec, goCPU float64
		want         string
	}{
		{"met", 2.5, 0.3, "| 2.50 s, 0.300 ms CPU each (0 failed) | 4.00× less CPU | ≤ 5 s, ≤ 0.4 ms, ≥ 3× less | yes |"},
		{"too slow", 6, 0.3, "| 6.00 s, 0.300 ms CPU each (0 failed) | 4.00× less CPU | ≤ 5 s, ≤ 0.4 ms, ≥ 3× less | **no** |"},
		{"too much CPU", 2, 0.5, "| 2.00 s, 0.500 ms CPU each (0 failed) | 2.40× less CPU | ≤ 5 s, ≤ 0.4 ms, ≥ 3× less | **no** |"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			storm := &stormConfig{Conns: 10000}
			node := &Report{Storm: storm, StormRounds: []StormRound{{Seconds: 3, CPUPerConnectMs: 1.2}, {Seconds: 9, CPUPerConnectMs: 1.2}}}
			goRep := &Report{Storm: storm, StormRounds: []StormRound{{Seconds: 1, CPUPerConnectMs: 0.1}, {Seconds: tc.goSec, CPUPerConnectMs: tc.goCPU}}}
			for name, rep := range map[string]*Report{"node-storm.json": node, "go-storm.json": goRep} {
				if err := writeJSON(filepath.Join(dir, name), rep); err != nil {
					t.Fatal(err)
				}
			}
			var out strings.Builder
			if err := printTable(&out, dir); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), "| reconnect storm: 10000 at once, slowest round | node (ws in JS) | 9.00 s, 1.200 ms CPU each (0 failed) "+tc.want) {
				t.Errorf("table:\n%s", out.String())
			}
		})
	}
}
