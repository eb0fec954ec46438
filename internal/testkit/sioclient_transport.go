package testkit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	ws "github.com/gorilla/websocket"
)

// transport carries Engine.IO packets one by one: a websocket message, or a
// packet of a polling payload.
type transport interface {
	// read waits up to timeout (0: for ever) for the next packet.
	read(timeout time.Duration) (string, error)
	write(packet string) error
	close()
}

var errReadTimeout = errors.New("read timeout")

// inbox is the packets a transport's reader received, and why it stopped.
type inbox struct {
	packets chan string
	done    chan struct{}
	err     error
}

func newInbox() *inbox { return &inbox{packets: make(chan string, 4096), done: make(chan struct{})} }

func (b *inbox) read(timeout time.Duration) (string, error) {
	var expire <-chan time.Time
	if timeout > 0 {
		timer := time.NewTimer(timeout)
		defer timer.Stop()
		expire = timer.C
	}
	select {
	case p := <-b.packets:
		return p, nil
	case <-expire:
		return "", errReadTimeout
	case <-b.done:
		select { // what arrived before the end is read first
		case p := <-b.packets:
			return p, nil
		default:
			return "", b.err
		}
	}
}

func (b *inbox) stop(err error) {
	b.err = err
	close(b.done)
}

// wsTransport is Engine.IO over one websocket.
type wsTransport struct {
	*inbox
	conn *ws.Conn
	wmu  sync.Mutex
}

func openWebsocket(base string, o DialOptions) (transport, string, error) {
	u := fmt.Sprintf("ws%s/socket.io/?EIO=%d&transport=websocket", strings.TrimPrefix(base, "http"), o.EIO)
	if o.Query != "" {
		u += "&" + o.Query
	}
	conn, res, err := ws.DefaultDialer.Dial(u, o.Header)
	if err != nil {
		if res != nil {
			return nil, "", fmt.Errorf("dial %s: status %d: %w", u, res.StatusCode, err)
		}
		return nil, "", fmt.Errorf("dial %s: %w", u, err)
	}
	t := &wsTransport{inbox: newInbox(), conn: conn}
	go t.readLoop()
	open, err := t.read(5 * time.Second)
	if err != nil {
		conn.Close()
		return nil, "", fmt.Errorf("engine.io open packet: %w", err)
	}
	return t, open, nil
}

func (t *wsTransport) readLoop() {
	for {
		_, msg, err := t.conn.ReadMessage()
		if err != nil {
			t.stop(err)
			return
		}
		t.packets <- string(msg)
	}
}

// upgradeToWebsocket moves the polling session p to a websocket at
// o.UpgradeVia: probe ("2probe" answered "3probe"), hand the pending GET's
// answer over, then the upgrade packet ("5"). The websocket reads into p's
// inbox, so nothing the polling side received is lost.
func upgradeToWebsocket(p *pollTransport, o DialOptions) (*wsTransport, error) {
	u := fmt.Sprintf("ws%s/socket.io/?EIO=%d&transport=websocket&sid=%s", strings.TrimPrefix(o.UpgradeVia, "http"), o.EIO, p.sid)
	if o.Query != "" {
		u += "&" + o.Query
	}
	conn, res, err := ws.DefaultDialer.Dial(u, o.Header)
	if err != nil {
		if res != nil {
			return nil, fmt.Errorf("dial %s: status %d: %w", u, res.StatusCode, err)
		}
		return nil, fmt.Errorf("dial %s: %w", u, err)
	}
	// From now on the poll loop ends at its GET's answer (the server answers
	// the pending GET with a noop at the probe); what the server sends until
	// the upgrade packet waits for the websocket.
	p.handOver()
	if err := conn.WriteMessage(ws.TextMessage, []byte("2probe")); err != nil {
		conn.Close()
		return nil, err
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, msg, err := conn.ReadMessage()
	if err != nil || string(msg) != "3probe" {
		conn.Close()
		return nil, fmt.Errorf("probe answered %q: %v", msg, err)
	}
	_ = conn.SetReadDeadline(time.Time{})
	if err := conn.WriteMessage(ws.TextMessage, []byte("5")); err != nil {
		conn.Close()
		return nil, err
	}
	// A GET the server left pending would hold the server's shutdown.
	go func() {
		select {
		case <-p.loopDone:
		case <-time.After(2 * time.Second):
			p.cancel()
		}
	}()
	t := &wsTransport{inbox: p.inbox, conn: conn}
	go t.readLoop()
	return t, nil
}

func (t *wsTransport) write(s string) error {
	t.wmu.Lock()
	defer t.wmu.Unlock()
	return t.conn.WriteMessage(ws.TextMessage, []byte(s))
}

func (t *wsTransport) close() { _ = t.conn.Close() }

// pollTransport is Engine.IO over long-polling: one GET always pending, a POST per write.
type pollTransport struct {
	*inbox
	sid    string
	eio    int
	header http.Header
	quit   chan struct{}
	once   sync.Once
	// handedOver: the session moved to a websocket; the poll loop ends at its
	// GET's answer without ending the inbox the websocket now fills.
	handedOver atomic.Bool
	loopDone   chan struct{} // closed when the poll loop returns
	ctx        context.Context
	cancel     context.CancelFunc // ends a pending GET

	mu   sync.Mutex
	urls []string // with sid: one, or one per instance (DialOptions.PollVia)
	next int
}

// url is where the next request goes: the next of urls, in turn.
func (t *pollTransport) url() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	u := t.urls[t.next%len(t.urls)]
	t.next++
	return u
}

// handOver stops the polling side without a CLOSE: the session lives on over a websocket.
func (t *pollTransport) handOver() {
	t.handedOver.Store(true)
	t.once.Do(func() {}) // close must no longer end the session
}

func openPolling(base string, o DialOptions) (transport, string, error) {
	u := fmt.Sprintf("%s/socket.io/?EIO=%d&transport=polling", base, o.EIO)
	if o.Query != "" {
		u += "&" + o.Query
	}
	t := &pollTransport{inbox: newInbox(), eio: o.EIO, header: o.Header, quit: make(chan struct{}), loopDone: make(chan struct{})}
	t.ctx, t.cancel = context.WithCancel(context.Background())
	body, err := t.get(u)
	if err != nil {
		return nil, "", err
	}
	packets := decodePayload(body, o.EIO)
	if len(packets) == 0 {
		return nil, "", fmt.Errorf("empty polling handshake")
	}
	open := packets[0]
	if i := strings.Index(open, `"sid":"`); i >= 0 {
		t.sid = open[i+7:]
		t.sid = t.sid[:strings.IndexByte(t.sid, '"')]
	}
	query := strings.TrimPrefix(u, base)
	for _, via := range o.PollVia {
		t.urls = append(t.urls, via+query+"&sid="+t.sid)
	}
	if len(t.urls) == 0 {
		t.urls = []string{u + "&sid=" + t.sid}
	}
	for _, p := range packets[1:] {
		t.packets <- p
	}
	go t.pollLoop()
	return t, open, nil
}

func (t *pollTransport) get(u string) (string, error) {
	req, _ := http.NewRequestWithContext(t.ctx, http.MethodGet, u, nil)
	for k, v := range t.header {
		req.Header[k] = v
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("poll: status %d: %s", res.StatusCode, body)
	}
	return string(body), nil
}

func (t *pollTransport) pollLoop() {
	defer close(t.loopDone)
	for {
		body, err := t.get(t.url())
		if t.handedOver.Load() {
			// The pending GET is answered with a noop (or a close of the
			// polling transport); anything else is the session's.
			for _, p := range decodePayload(body, t.eio) {
				if err == nil && p != "6" && p != "1" {
					t.packets <- p
				}
			}
			return
		}
		select {
		case <-t.quit:
			t.stop(errors.New("closed by the client"))
			return
		default:
		}
		if err != nil {
			t.stop(err)
			return
		}
		for _, p := range decodePayload(body, t.eio) {
			t.packets <- p
		}
	}
}

func (t *pollTransport) write(s string) error {
	req, _ := http.NewRequest(http.MethodPost, t.url(), strings.NewReader(encodePayload([]string{s}, t.eio)))
	req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	for k, v := range t.header {
		req.Header[k] = v
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("post: status %d", res.StatusCode)
	}
	return nil
}

// close ends the session with an Engine.IO CLOSE, so the pending GET is answered.
func (t *pollTransport) close() {
	t.once.Do(func() {
		close(t.quit)
		_ = t.write("1")
	})
}

// eio3Frame is one EIO 3 payload packet: its length in UTF-16 code units, a colon, the packet.
func eio3Frame(p string) string { return strconv.Itoa(len(utf16.Encode([]rune(p)))) + ":" + p }

// decodePayload splits a polling payload into packets: EIO 4 separates them
// with a record separator (0x1e), EIO 3 prefixes each with its length in
// UTF-16 code units and a colon.
func decodePayload(body string, eio int) []string {
	if body == "" {
		return nil
	}
	if eio != 3 {
		return strings.Split(body, "\x1e")
	}
	var out []string
	for body != "" {
		i := strings.IndexByte(body, ':')
		if i < 0 {
			return out
		}
		n, err := strconv.Atoi(body[:i])
		if err != nil {
			return out
		}
		rest := body[i+1:]
		// n counts UTF-16 code units: walk runes until that many are taken.
		units, end := 0, 0
		for end < len(rest) && units < n {
			r, size := utf8.DecodeRuneInString(rest[end:])
			units += len(utf16.Encode([]rune{r}))
			end += size
		}
		out = append(out, rest[:end])
		body = rest[end:]
	}
	return out
}
