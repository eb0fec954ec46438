package redisadapter

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/izpochat/server/internal/testkit"
)

// wsClient is the test kit's Socket.IO client on the main namespace, with the
// event as a JSON array [name, args...] as these tests compare it.
type wsClient struct{ *testkit.Client }

func dialClient(t *testing.T, baseURL, query string) *wsClient {
	t.Helper()
	// These servers run the library's own websocket transport, which can drop
	// a CONNECT sent right after the open packet: it is sent again after 1 s.
	return &wsClient{testkit.MustDial(t, baseURL, testkit.DialOptions{Query: query, Record: true, ResendConnect: time.Second})}
}

// count returns how many events named name arrived, and the last one.
func (c *wsClient) count(name string) (int, []any) {
	n, last := c.Count(name)
	if n == 0 {
		return 0, nil
	}
	return n, asArray(last)
}

func (c *wsClient) waitFor(name string, n int) []any {
	return asArray(c.WaitCount(name, n))
}

func asArray(ev testkit.Event) []any {
	out := []any{ev.Name}
	for _, a := range ev.Args {
		var v any
		_ = json.Unmarshal(a, &v)
		out = append(out, v)
	}
	return out
}
