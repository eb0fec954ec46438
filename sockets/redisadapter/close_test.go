package redisadapter

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/zishang520/socket.io/v2/socket"
)

// TestClosedNamespaceUnsubscribesUnlessCreatedAgain: closing a namespace's
// adapter ends its subscriptions (in the background); a namespace of the same
// name created again meanwhile, even many times over in quick succession,
// ends subscribed exactly once, and gets the other servers' broadcasts.
func TestClosedNamespaceUnsubscribesUnlessCreatedAgain(t *testing.T) {
	key := uniq(t)
	rdb := sharedRedis(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := New(ctx, clientFor(t, sharedRedisURL), Options{Key: key, Logger: testLogger(t)})
	defer f.Close()
	opts := socket.DefaultServerOptions()
	opts.SetAdapter(f)
	io := socket.NewServer(nil, opts)
	defer io.Close(nil)
	request, response := key+"-request#/x#", key+"-response#/x#"
	subscribers := func() string {
		res, err := rdb.PubSubNumSub(context.Background(), request, response).Result()
		if err != nil {
			return err.Error()
		}
		return fmt.Sprintf("%d %d", res[request], res[response])
	}
	waitFor := func(want string) {
		t.Helper()
		eventually(t, 5*time.Second, "subscribers "+want, func() bool { return subscribers() == want })
	}

	var nsp socket.Namespace
	for range 50 {
		if nsp != nil {
			nsp.Adapter().Close()
		}
		nsp = socket.NewNamespace(io, "/x") // an adapter of its own, as a re-created child namespace
	}
	waitFor("1 1")
	time.Sleep(200 * time.Millisecond) // unsubscribes still queued would show now
	if got := subscribers(); got != "1 1" {
		t.Fatalf("subscribers after re-creating = %s, want 1 1", got)
	}
	f.mu.RLock()
	mapped := f.byPattern[globEscape(key+"#/x#")+"*"] == nsp.Adapter()
	f.mu.RUnlock()
	if !mapped {
		t.Fatal("broadcasts of /x are not routed to the live namespace's adapter")
	}
	nsp.Adapter().Close()
	waitFor("0 0")
}
