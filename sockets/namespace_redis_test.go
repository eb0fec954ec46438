package sockets_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/zishang520/socket.io/v2/socket"

	"github.com/izpochat/server/cluster"
	"github.com/izpochat/server/config"
	"github.com/izpochat/server/internal/testkit"
	"github.com/izpochat/server/internal/testkit/testapp"
	"github.com/izpochat/server/sockets/redisadapter"
)

// startRedis runs a redis-server of the test's own (testkit.StartRedis):
// PUBSUB NUMPAT counts every client's patterns, so only a Redis nobody else
// uses can show that ours return to where they were.
func startRedis(t *testing.T) string { return testkit.StartRedis(t).URL() }

func redisClient(t *testing.T, url string) *redis.Client {
	t.Helper()
	rdb, err := cluster.NewClient(url, cluster.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// withRedis joins the app to the others on url as instance, as production
// does with REDIS_URL: the broker, presence, the Socket.IO Redis adapter.
func withRedis(url, instance string) appOption {
	return testapp.WithConfig(func(c *config.Config) { c.RedisURL, c.InstanceID = url, instance })
}

// pubsubCounts is PUBSUB NUMPAT and the subscribers of each channel.
func pubsubCounts(t *testing.T, rdb *redis.Client, channels ...string) (int64, map[string]int64) {
	t.Helper()
	ctx := context.Background()
	numpat, err := rdb.PubSubNumPat(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	numsub, err := rdb.PubSubNumSub(ctx, channels...).Result()
	if err != nil {
		t.Fatal(err)
	}
	return numpat, numsub
}

// roomChannels are the request and response channels of room namespaces.
func roomChannels(rooms ...int64) []string {
	var out []string
	for _, r := range rooms {
		out = append(out, fmt.Sprintf("socket.io-request#/rooms/%d#", r), fmt.Sprintf("socket.io-response#/rooms/%d#", r))
	}
	return out
}

// waitPubsub waits until NUMPAT is numpat and every channel has numsub subscribers.
func waitPubsub(t *testing.T, rdb *redis.Client, numpat, numsub int64, channels ...string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		pat, sub := pubsubCounts(t, rdb, channels...)
		ok := pat == numpat
		for _, ch := range channels {
			ok = ok && sub[ch] == numsub
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("PUBSUB NUMPAT = %d (want %d), NUMSUB = %v (want %d each)", pat, numpat, sub, numsub)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRefusedAndEmptiedNamespacesEndTheirRedisSubscriptions: with the Redis
// adapter, every room namespace subscribes (a pattern and its channels);
// after thousands of refused CONNECTs, and after a namespace's last socket
// leaves, PUBSUB NUMPAT and NUMSUB are back where they were.
func TestRefusedAndEmptiedNamespacesEndTheirRedisSubscriptions(t *testing.T) {
	url := startRedis(t)
	rdb := redisClient(t, url)
	a := newApp(t, "sqlite", withRedis(url, "A"))
	alice := a.register("alice")
	room := a.createRoom(alice, "general", false)
	baseline, _ := pubsubCounts(t, rdb)
	if baseline == 0 {
		t.Fatal("no pattern subscribed at all: the adapter is not wired")
	}

	const refused = 1000
	packets := make([]string, 0, refused)
	for i := range refused {
		packets = append(packets, fmt.Sprintf("40/rooms/%d,", 2_000_000+i))
	}
	dialFlooder(t, a).flood(packets)
	waitRoomNamespaces(t, a, 0)
	sample := roomChannels(2_000_000, 2_000_000+refused/2, 2_000_000+refused-1)
	waitPubsub(t, rdb, baseline, 0, sample...)

	// A namespace in use is subscribed; once emptied, it is not.
	nsp := fmt.Sprintf("/rooms/%d", room)
	c := mustDial(t, a, dialOpts{nsp: nsp, auth: map[string]any{"token": alice.Token}})
	c.next("welcome")
	waitPubsub(t, rdb, baseline+1, 1, roomChannels(room)...)
	c.writeRaw("41" + nsp + ",")
	waitRoomNamespaces(t, a, 0)
	waitPubsub(t, rdb, baseline, 0, roomChannels(room)...)
}

// TestRejoinedNamespaceServesOtherInstances: a room namespace emptied on
// instance A (and so unsubscribed) serves a client who joins again with
// everything other instances send: a Socket.IO broadcast to the namespace
// from another server on the Redis adapter, and a message posted on
// instance B (the hub through Redis).
func TestRejoinedNamespaceServesOtherInstances(t *testing.T) {
	url := startRedis(t)
	rdb := redisClient(t, url)
	a := newApp(t, "sqlite", withRedis(url, "A"))
	b := newApp(t, "sqlite", withRedis(url, "B"))
	// Each instance has its own database here: the same accounts and room,
	// created in the same order, have the same ids on both.
	alice, room := a.register("alice"), int64(0)
	room = a.createRoom(alice, "general", false)
	aliceOnB := b.register("alice")
	if roomB := b.createRoom(aliceOnB, "general", false); roomB != room || aliceOnB.ID != alice.ID {
		t.Fatalf("ids differ between the instances: room %d/%d, user %d/%d", room, roomB, alice.ID, aliceOnB.ID)
	}
	nsp := fmt.Sprintf("/rooms/%d", room)
	other := newAdapterServer(t, url).Of(nsp, nil)
	// Unique patterns: "/", "/socket.io" and this namespace's (of the other
	// server); the namespace's channels have the other server's subscription.
	waitPubsub(t, rdb, 3, 1, roomChannels(room)...)
	auth := map[string]any{"token": alice.Token}

	for round := range 2 {
		c := mustDial(t, a, dialOpts{nsp: nsp, auth: auth})
		c.next("welcome")
		waitPubsub(t, rdb, 3, 2, roomChannels(room)...) // A's too
		_ = other.Emit("probe", map[string]any{"content": fmt.Sprintf("probe %d", round)})
		if !c.receives("probe", fmt.Sprintf("probe %d", round), 5*time.Second) {
			t.Fatalf("round %d: broadcast from the other server not delivered", round)
		}
		content := fmt.Sprintf("from B %d", round)
		b.postREST(aliceOnB, room, content)
		if !c.receives("message", content, 5*time.Second) {
			t.Fatalf("round %d: message posted on B not delivered", round)
		}
		c.writeRaw("41" + nsp + ",")
		waitRoomNamespaces(t, a, 0)
		waitPubsub(t, rdb, 3, 1, roomChannels(room)...) // A's gone
		c.close()
	}
}

// newAdapterServer is another Socket.IO server on the same Redis adapter, as a
// Node server with @socket.io/redis-adapter would be; it serves no clients.
func newAdapterServer(t *testing.T, url string) *socket.Server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	adapter := redisadapter.New(ctx, redisClient(t, url), redisadapter.Options{})
	opts := socket.DefaultServerOptions()
	opts.SetAdapter(adapter)
	io := socket.NewServer(nil, opts)
	srv := httptest.NewServer(io.ServeHandler(nil))
	t.Cleanup(func() { io.Close(nil); srv.Close(); _ = adapter.Close(); cancel() })
	return io
}
