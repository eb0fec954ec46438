package testkit

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	ws "github.com/gorilla/websocket"
)

// PollingSession is one Engine.IO long-polling session driven request by
// request, for tests about the requests themselves rather than the events: a
// GET left waiting for the server (Pending), its timing, its status, an
// address behind a proxy (Header), or the session's URL for a hostile body
// sent by other means. Client (DialOptions.Polling) is the client that keeps
// polling by itself; both speak the same payload framing.
type PollingSession struct {
	t      testing.TB
	eio    int
	header http.Header
	// SID is the session id of the open packet; URL is the session's
	// polling URL (with sid), where every GET and POST goes.
	SID string
	URL string
	// Open is the open packet, and Early what came with it in the
	// handshake's payload.
	Open  string
	Early []string
}

// PollingOptions says how OpenPolling opens a session.
type PollingOptions struct {
	EIO    int         // 4 (default) or 3
	Query  string      // more query parameters
	Header http.Header // sent with every request (e.g. X-Forwarded-For)
}

// PollAnswer is the server's answer to one request of a PollingSession.
type PollAnswer struct {
	Status  int
	Body    string
	Packets []string  // Body split into Engine.IO packets
	Err     error     // the request failed (cut connection)
	At      time.Time // when the answer (or the error) came
}

// OpenPolling opens a polling session at base (http://host:port) with the
// handshake GET; it fails the test unless the server answers an open packet.
func OpenPolling(t testing.TB, base string, o PollingOptions) *PollingSession {
	t.Helper()
	if o.EIO == 0 {
		o.EIO = 4
	}
	u := fmt.Sprintf("%s/socket.io/?EIO=%d&transport=polling", base, o.EIO)
	if o.Query != "" {
		u += "&" + o.Query
	}
	s := &PollingSession{t: t, eio: o.EIO, header: o.Header}
	a := s.request(http.MethodGet, u, "")
	var hs struct {
		Sid string `json:"sid"`
	}
	if a.Err != nil || a.Status != http.StatusOK || len(a.Packets) == 0 || !strings.HasPrefix(a.Packets[0], "0") ||
		json.Unmarshal([]byte(a.Packets[0][1:]), &hs) != nil || hs.Sid == "" {
		t.Fatalf("testkit: polling handshake at %s: %d %q %v", base, a.Status, a.Body, a.Err)
	}
	s.SID, s.Open, s.Early = hs.Sid, a.Packets[0], a.Packets[1:]
	s.URL = u + "&sid=" + hs.Sid
	return s
}

// request sends one request and reads the whole answer.
func (s *PollingSession) request(method, url, body string) PollAnswer {
	return s.send(method, url, "text/plain;charset=UTF-8", body)
}

// PostRaw sends body as it is, with contentType, for a payload no client
// would frame (a fuzzer's); it fails the test on a cut connection.
func (s *PollingSession) PostRaw(contentType string, body []byte) PollAnswer {
	s.t.Helper()
	a := s.send(http.MethodPost, s.URL, contentType, string(body))
	if a.Err != nil {
		s.t.Fatalf("testkit: polling POST: %v", a.Err)
	}
	return a
}

func (s *PollingSession) send(method, url, contentType, body string) PollAnswer {
	var rd io.Reader
	if method == http.MethodPost {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, url, rd)
	for k, v := range s.header {
		req.Header[k] = v
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return PollAnswer{Err: err, At: time.Now()}
	}
	raw, err := io.ReadAll(res.Body)
	res.Body.Close()
	a := PollAnswer{Status: res.StatusCode, Body: string(raw), Err: err, At: time.Now()}
	if res.StatusCode == http.StatusOK && method == http.MethodGet {
		a.Packets = decodePayload(a.Body, s.eio)
	}
	return a
}

// Get sends one GET and waits for its answer (a long-poll waits for the
// server's next packet); it fails the test on a cut connection.
func (s *PollingSession) Get() PollAnswer {
	s.t.Helper()
	a := s.request(http.MethodGet, s.URL, "")
	if a.Err != nil {
		s.t.Fatalf("testkit: polling GET: %v", a.Err)
	}
	return a
}

// Pending sends one GET in the background: the channel gets its answer, as a
// polling client's always-waiting GET would.
func (s *PollingSession) Pending() <-chan PollAnswer {
	ch := make(chan PollAnswer, 1)
	go func() { ch <- s.request(http.MethodGet, s.URL, "") }()
	return ch
}

// Post sends packets in one payload, framed for the session's EIO; it fails
// the test on a cut connection.
func (s *PollingSession) Post(packets ...string) PollAnswer {
	s.t.Helper()
	a := s.request(http.MethodPost, s.URL, encodePayload(packets, s.eio))
	if a.Err != nil {
		s.t.Fatalf("testkit: polling POST: %v", a.Err)
	}
	return a
}

// TryPost is Post without failing the test, for any goroutine: a cut
// connection is the answer's Err (and Status 0).
func (s *PollingSession) TryPost(packets ...string) PollAnswer {
	return s.request(http.MethodPost, s.URL, encodePayload(packets, s.eio))
}

// Connect sends the CONNECT of "/" with auth (EIO 4; nil: none) and reads
// until the server's answer, which it returns ("40{…}" or "44{…}"); the other
// packets of the payloads read on the way (before the answer and after it in
// its payload) are returned too.
func (s *PollingSession) Connect(auth any) (answer string, others []string) {
	s.t.Helper()
	connect := "40"
	if auth != nil {
		b, _ := json.Marshal(auth)
		connect += string(b)
	}
	if a := s.Post(connect); a.Status != http.StatusOK {
		s.t.Fatalf("testkit: polling CONNECT: %d %q", a.Status, a.Body)
	}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		a := s.Get()
		if a.Status != http.StatusOK {
			s.t.Fatalf("testkit: polling GET: %d %q", a.Status, a.Body)
		}
		for i, p := range a.Packets {
			if strings.HasPrefix(p, "40") || strings.HasPrefix(p, "44") {
				return p, append(append(others, a.Packets[:i]...), a.Packets[i+1:]...)
			}
		}
		others = append(others, a.Packets...)
	}
	s.t.Fatal("testkit: no CONNECT answer over polling")
	return "", nil
}

// encodePayload joins packets into one polling payload: EIO 4 separates them
// with a record separator, EIO 3 prefixes each with its length in UTF-16 code
// units and a colon.
func encodePayload(packets []string, eio int) string {
	if eio != 3 {
		return strings.Join(packets, "\x1e")
	}
	var b strings.Builder
	for _, p := range packets {
		b.WriteString(eio3Frame(p))
	}
	return b.String()
}

// Via is the same session reached through another base (another instance of
// a cluster): its requests go there.
func (s *PollingSession) Via(base string) *PollingSession {
	v := *s
	v.URL = base + s.URL[strings.Index(s.URL, "/socket.io/"):]
	return &v
}

// Next polls until an event named name arrives (10 s at most), answering
// pings on the way, and returns it; other packets are skipped.
func (s *PollingSession) Next(name string) Event {
	s.t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		a := s.Get()
		if a.Status != http.StatusOK {
			s.t.Fatalf("testkit: polling GET: %d %q", a.Status, a.Body)
		}
		for _, p := range a.Packets {
			if p == "2" {
				s.Post("3")
				continue
			}
			if !strings.HasPrefix(p, "42") {
				continue
			}
			var arr []json.RawMessage
			if json.Unmarshal([]byte(stripNamespace(p[2:])), &arr) != nil || len(arr) == 0 {
				continue
			}
			var ev string
			_ = json.Unmarshal(arr[0], &ev)
			if ev == name {
				return Event{Name: ev, Args: arr[1:]}
			}
		}
	}
	s.t.Fatalf("testkit: no %q event over polling", name)
	return Event{}
}

// Probe opens a websocket for the session and probes it ("2probe", answered
// "3probe"): the first half of an upgrade, which Upgrade finishes; a test may
// close the websocket here instead, mid-upgrade. The websocket is closed when
// the test ends.
func (s *PollingSession) Probe() *ws.Conn {
	s.t.Helper()
	u := "ws" + strings.TrimPrefix(strings.Replace(s.URL, "transport=polling", "transport=websocket", 1), "http")
	conn, _, err := ws.DefaultDialer.Dial(u, s.header)
	if err != nil {
		s.t.Fatalf("testkit: upgrade dial %s: %v", u, err)
	}
	s.t.Cleanup(func() { conn.Close() })
	if err := conn.WriteMessage(ws.TextMessage, []byte("2probe")); err != nil {
		s.t.Fatalf("testkit: probe: %v", err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, msg, err := conn.ReadMessage(); err != nil || string(msg) != "3probe" {
		s.t.Fatalf("testkit: probe answered %q %v", msg, err)
	}
	_ = conn.SetReadDeadline(time.Time{})
	return conn
}

// Upgrade moves the session to a websocket (Probe, then the upgrade packet
// "5") and returns it; the session's requests over polling end.
func (s *PollingSession) Upgrade() *ws.Conn {
	s.t.Helper()
	conn := s.Probe()
	if err := conn.WriteMessage(ws.TextMessage, []byte("5")); err != nil {
		s.t.Fatalf("testkit: upgrade packet: %v", err)
	}
	return conn
}
