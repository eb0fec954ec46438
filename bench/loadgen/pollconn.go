package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// pollConn is one Engine.IO v4 long-polling session that never upgrades
// (-transport polling): the handshake is GET /socket.io/?EIO=4&transport=polling,
// the server's packets come in the answers to GETs (one outstanding at a time,
// packets separated by \x1e), the client's go out in POSTs. Writes are queued
// and one writer goroutine posts whatever has queued while the previous POST
// was in flight, as socket.io-client does: Engine.IO servers refuse a second
// POST while one is open (Node's closes the session). What arrives is handed
// to the same client.handle as a websocket's messages, so deliveries, loss,
// duplicates and latency are counted by the same receiver.
type pollConn struct {
	hc     *http.Client
	url    string // with &sid=
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	out     []byte // packets waiting for the next POST, \x1e-separated
	closed  bool
	wake    chan struct{}
	written chan struct{} // the writer has ended

	leftover [][]byte // packets read during the handshake after the CONNECT
	postErr  error    // why the writer ended the session (read by the reader after it ends)
	endErr   error    // why the reader ended it, for later sends to say
}

const packetSep = '\x1e'

// pollHTTP is the HTTP client every polling session shares: keep-alive
// connections enough for one GET and one POST per session.
var pollHTTP = sync.OnceValue(func() *http.Client {
	return &http.Client{Transport: &http.Transport{
		MaxIdleConns:        1 << 16,
		MaxIdleConnsPerHost: 1 << 16,
		// Below the servers' keep-alive timeouts (Node's http server: 5 s), so
		// a POST never goes out on a connection the server is closing as idle
		// (a POST is not retried).
		IdleConnTimeout:    3 * time.Second,
		DisableCompression: true,
		ForceAttemptHTTP2:  false,
	}}
})

// pollingURL turns http://host:port into the Engine.IO polling endpoint.
func pollingURL(base string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("server url: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("server url: scheme %q (want http or https)", u.Scheme)
	}
	u.Path = "/socket.io/"
	u.RawQuery = "EIO=4&transport=polling"
	return u.String(), nil
}

// dialPolling opens the session, connects the main namespace with {token}
// (the same CONNECT packet as over a websocket) and waits for its CONNECT.
// The caller starts the reader (client.pollLoop) and with it the writer.
func dialPolling(ctx context.Context, pollURL, token string) (*pollConn, error) {
	hc := pollHTTP()
	body, err := pollGet(ctx, hc, pollURL)
	if err != nil {
		return nil, fmt.Errorf("polling handshake: %w", err)
	}
	pkts := splitPackets(body)
	if len(pkts) == 0 || len(pkts[0]) == 0 || pkts[0][0] != '0' {
		return nil, fmt.Errorf("want Engine.IO open packet, got %.60q", body)
	}
	var open struct {
		SID string `json:"sid"`
	}
	if err := json.Unmarshal(pkts[0][1:], &open); err != nil || open.SID == "" {
		return nil, fmt.Errorf("open packet without sid: %.100q", pkts[0])
	}
	lctx, cancel := context.WithCancel(context.Background())
	pc := &pollConn{hc: hc, url: pollURL + "&sid=" + url.QueryEscape(open.SID), ctx: lctx, cancel: cancel,
		wake: make(chan struct{}, 1), written: make(chan struct{})}
	fail := func(err error) (*pollConn, error) {
		cancel()
		return nil, err
	}
	auth := `40{"token":` + strconv.Quote(token) + `}`
	if err := pc.post(ctx, []byte(auth)); err != nil {
		return fail(fmt.Errorf("post namespace connect: %w", err))
	}
	pending := pkts[1:]
	for {
		for i, p := range pending {
			switch {
			case bytes.Equal(p, []byte("2")):
				if err := pc.post(ctx, pktPing); err != nil {
					return fail(fmt.Errorf("pong: %w", err))
				}
			case bytes.HasPrefix(p, []byte("40")):
				pc.leftover = pending[i+1:]
				return pc, nil
			case bytes.HasPrefix(p, []byte("44")):
				return fail(fmt.Errorf("connect refused: %.200s", p[2:]))
			case len(p) > 0 && p[0] == '1':
				return fail(fmt.Errorf("session closed by the server during connect"))
			}
		}
		body, err := pollGet(ctx, hc, pc.url)
		if err != nil {
			return fail(fmt.Errorf("read namespace connect: %w", err))
		}
		pending = splitPackets(body)
	}
}

// splitPackets cuts a polling payload into its packets (copies, so they may be kept).
func splitPackets(body []byte) [][]byte {
	if len(body) == 0 {
		return nil
	}
	parts := bytes.Split(body, []byte{packetSep})
	for i := range parts {
		parts[i] = bytes.Clone(parts[i])
	}
	return parts
}

func pollGet(ctx context.Context, hc *http.Client, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	res, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET: status %d: %.200s", res.StatusCode, body)
	}
	return body, nil
}

// post sends one payload (packets already \x1e-separated).
func (pc *pollConn) post(ctx context.Context, payload []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, pc.url, bytes.NewReader(payload))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	res, err := pc.hc.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("POST: status %d: %.200s", res.StatusCode, body)
	}
	return nil
}

var errPollClosed = errors.New("polling session closed")

// send queues one packet for the writer.
func (pc *pollConn) send(p []byte) error {
	pc.mu.Lock()
	if pc.closed {
		err := errPollClosed
		if pc.endErr != nil {
			err = fmt.Errorf("%w: %w", errPollClosed, pc.endErr)
		}
		pc.mu.Unlock()
		return err
	}
	if len(pc.out) > 0 {
		pc.out = append(pc.out, packetSep)
	}
	pc.out = append(pc.out, p...)
	pc.mu.Unlock()
	select {
	case pc.wake <- struct{}{}:
	default:
	}
	return nil
}

// writeLoop posts what has queued, one POST at a time, until the session
// closes; a failed POST ends the session (the reader reports it).
func (pc *pollConn) writeLoop() {
	defer close(pc.written)
	for {
		select {
		case <-pc.wake:
		case <-pc.ctx.Done():
			return
		}
		// A fresh buffer each time, never the last POST's: the HTTP
		// transport may still read a request body after Do has returned.
		pc.mu.Lock()
		batch := pc.out
		pc.out = nil
		pc.mu.Unlock()
		if len(batch) == 0 {
			continue
		}
		if err := pc.post(pc.ctx, batch); err != nil {
			pc.mu.Lock()
			if !pc.closed {
				pc.postErr = err
			}
			pc.mu.Unlock()
			pc.shut()
			return
		}
	}
}

// read waits for the next GET's packets (the handshake's leftovers first).
func (pc *pollConn) read() ([][]byte, error) {
	if l := pc.leftover; l != nil {
		pc.leftover = nil
		return l, nil
	}
	body, err := pollGet(pc.ctx, pc.hc, pc.url)
	if err != nil {
		pc.mu.Lock()
		defer pc.mu.Unlock()
		if pc.postErr != nil {
			return nil, fmt.Errorf("POST failed: %w", pc.postErr)
		}
		return nil, err
	}
	return splitPackets(body), nil
}

// shut ends the session without telling the server: the reader's GET and the
// writer's POST are cancelled.
func (pc *pollConn) shut() { pc.shutWith(nil) }

// shutWith is shut by the reader, with why the session ended (nil: on purpose);
// later sends return it, so a sender's error names the cause.
func (pc *pollConn) shutWith(reason error) {
	pc.mu.Lock()
	pc.closed = true
	if pc.endErr == nil {
		pc.endErr = reason
	}
	pc.mu.Unlock()
	pc.cancel()
}

// close ends the session and tells the server (a close packet, best effort,
// bounded), once the writer has stopped so it is not a second open POST.
func (pc *pollConn) close() {
	pc.mu.Lock()
	already := pc.closed
	pc.closed = true
	pc.mu.Unlock()
	pc.cancel()
	if already {
		return
	}
	<-pc.written
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	_ = pc.post(ctx, []byte("1"))
	cancel()
}
