package main

import (
	"context"
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
