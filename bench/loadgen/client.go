package main

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// client is one Engine.IO v4 / Socket.IO v5 connection over a bare WebSocket
// or (-transport polling) a long-polling session that never upgrades. A
// websocket's reads are driven by the run's poller (or, with -reader goroutine,
// by one goroutine of its own); writers share the connection under its write
// lock. A polling session has a reader and a writer goroutine of its own.
type client struct {
	idx  int
	room int // index of the room it joins
	ws   *wsConn
	lp   *pollConn // instead of ws, with -transport polling
	run  *runState
	recv *receiver // nil when the run does not count deliveries

	joined chan error // join_room answered (ack, users_online or error)
	done   chan struct{}
	polled bool // read by the poller, not by a goroutine of its own
}

// runState is what every connection of a run shares.
type runState struct {
	packets     atomic.Int64  // every packet read, for "is it quiet yet"
	errors      atomic.Int64  // `error` events received
	closed      atomic.Int64  // connections that ended while the run needed them
	messageSent atomic.Int64  // message_sent events (the sender's confirmation)
	unique      atomic.Int64  // unique measured deliveries of the current step
	step        atomic.Int64  // current step number
	stopping    atomic.Bool   // closing on purpose: a read error is not a failure
	lastError   atomic.Value  // string: the last `error` event or close reason
	senderRoom  []int         // client index -> room index (for misrouting checks)
	hists       []*sharedHist // latency histogram per room
}

var (
	pktPing        = []byte("3")
	joinAckPrefix  = []byte("43" + joinAckID + "[")
	errorPrefix    = []byte(`42["error",`)
	onlinePrefix   = []byte(`42["users_online",`)
	sentPrefix     = []byte(`42["message_sent",`)
	statusErrorKey = []byte(`"status":"error"`)
)

const joinAckID = "1"

// endpoint is the Engine.IO URL for a transport: ws://…&transport=websocket
// or http://…&transport=polling. Its scheme tells connectAll which to open.
func endpoint(base, transport string) (string, error) {
	switch transport {
	case "websocket", "":
		return socketURL(base)
	case "polling":
		return pollingURL(base)
	}
	return "", fmt.Errorf("transport %q (want websocket or polling)", transport)
}

// socketURL turns http://host:port into the Engine.IO websocket endpoint.
func socketURL(base string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("server url: %w", err)
	}
	switch u.Scheme {
	case "http", "ws":
		u.Scheme = "ws"
	case "https", "wss":
		u.Scheme = "wss"
	default:
		return "", fmt.Errorf("server url: scheme %q (want http or https)", u.Scheme)
	}
	u.Path = "/socket.io/"
	u.RawQuery = "EIO=4&transport=websocket"
	return u.String(), nil
}

// dial opens the websocket, reads the Engine.IO open packet, connects the main
// namespace with {token} and waits for its CONNECT. It returns before reading
// starts so the caller decides who reads and what is counted.
func dial(ctx context.Context, wsURL, token string) (*wsConn, error) {
	ws, err := dialWS(ctx, wsURL)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*wsConn, error) {
		ws.nc.Close()
		return nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		ws.nc.SetReadDeadline(dl)
	}
	p, err := ws.readMessage()
	if err != nil {
		return fail(fmt.Errorf("read open packet: %w", err))
	}
	if len(p) == 0 || p[0] != '0' {
		return fail(fmt.Errorf("want Engine.IO open packet, got %.60q", p))
	}
	auth := `40{"token":` + strconv.Quote(token) + `}`
	if err := ws.writeText([]byte(auth)); err != nil {
		return fail(fmt.Errorf("write namespace connect: %w", err))
	}
	for {
		p, err := ws.readMessage()
		if err != nil {
			return fail(fmt.Errorf("read namespace connect: %w", err))
		}
		switch {
		case bytes.Equal(p, []byte("2")):
			if err := ws.writeText(pktPing); err != nil {
				return fail(fmt.Errorf("pong: %w", err))
			}
		case bytes.HasPrefix(p, []byte("40")):
			ws.nc.SetReadDeadline(time.Time{})
			return ws, nil
		case bytes.HasPrefix(p, []byte("44")):
			return fail(fmt.Errorf("connect refused: %.200s", p[2:]))
		}
	}
}

func (c *client) write(p []byte) error {
	if c.lp != nil {
		return c.lp.send(p)
	}
	return c.ws.writeText(p)
}

// opened says whether the client holds a connection or session.
func (c *client) opened() bool { return c.ws != nil || c.lp != nil }

// drop ends the connection without ceremony (its reader reports the end).
func (c *client) drop() {
	if c.lp != nil {
		c.lp.shut()
		return
	}
	c.ws.nc.Close()
}

// pollLoop is a polling session's reader: one GET at a time until the session
// ends, each answer's packets handled as a websocket's messages are. It starts
// the session's writer.
func (c *client) pollLoop() {
	defer close(c.done)
	go c.lp.writeLoop()
	for {
		pkts, err := c.lp.read()
		if err != nil {
			c.lp.shutWith(err)
			c.ended(err)
			return
		}
		for _, p := range pkts {
			c.run.packets.Add(1)
			c.handle(p)
		}
	}
}

// feed parses data (and whatever was left over before it) into packets.
func (c *client) feed(data []byte) error {
	ws := c.ws
	buf := data
	fromPending := len(ws.pending) > 0
	if fromPending {
		ws.pending = append(ws.pending, data...)
		buf = ws.pending
	}
	used, err := ws.consume(buf, func(m []byte) bool {
		c.run.packets.Add(1)
		c.handle(m)
		return true
	})
	if err != nil {
		return err
	}
	if fromPending {
		ws.pending = ws.pending[:copy(ws.pending, buf[used:])]
	} else {
		ws.pending = append(ws.pending[:0], buf[used:]...)
	}
	return nil
}

// readLoop is the goroutine reader (-reader goroutine): blocking reads
// until the connection ends.
func (c *client) readLoop() {
	defer close(c.done)
	for {
		if err := c.feed(nil); err != nil {
			c.ended(err)
			return
		}
		if err := c.ws.fill(); err != nil {
			c.ended(err)
			return
		}
	}
}

func (c *client) ended(err error) {
	if c.run.stopping.Load() {
		return
	}
	c.run.closed.Add(1)
	c.run.lastError.Store("connection ended: " + err.Error())
	select {
	case c.joined <- err:
	default:
	}
}

func (c *client) handle(p []byte) {
	switch {
	case len(p) == 1 && p[0] == '2':
		if err := c.write(pktPing); err != nil {
			c.drop()
		}
	case bytes.HasPrefix(p, newMessagePrefix):
		if c.recv != nil {
			c.recv.deliver(p, c.run)
		}
	case bytes.HasPrefix(p, sentPrefix):
		c.run.messageSent.Add(1)
	case bytes.HasPrefix(p, joinAckPrefix):
		var err error
		if bytes.Contains(p, statusErrorKey) {
			err = fmt.Errorf("join_room refused: %.200s", p)
		}
		c.signalJoin(err)
	case bytes.HasPrefix(p, onlinePrefix):
		c.signalJoin(nil)
	case bytes.HasPrefix(p, errorPrefix):
		c.run.errors.Add(1)
		c.run.lastError.Store(string(p))
	case len(p) > 0 && p[0] == '1', bytes.HasPrefix(p, []byte("41")):
		c.drop() // server closed the session or the namespace
	}
}

func (c *client) signalJoin(err error) {
	select {
	case c.joined <- err:
	default:
	}
}

// join emits join_room with an ack id and waits for the ack or users_online.
func (c *client) join(ctx context.Context, roomID int64) error {
	pkt := `42` + joinAckID + `["join_room",{"room_id":` + strconv.FormatInt(roomID, 10) + `}]`
	if err := c.write([]byte(pkt)); err != nil {
		return fmt.Errorf("join_room %d: %w", roomID, err)
	}
	select {
	case err := <-c.joined:
		if err != nil {
			return fmt.Errorf("join_room %d: %w", roomID, err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("join_room %d: no answer: %w", roomID, ctx.Err())
	}
}

// ConnectStats summarises how connections were opened.
type ConnectStats struct {
	Attempted  int     `json:"attempted"`
	Failed     int     `json:"failed"`
	FirstError string  `json:"first_error,omitempty"`
	Seconds    float64 `json:"seconds"`
	PerSecond  float64 `json:"per_second"`
	Latency    Latency `json:"latency"`
}

// connectAll opens clients[from:to] (concurrency at a time) and starts reading
// them: from the poller when there is one, else from a goroutine each. An
// http(s) URL (endpoint with "polling") opens polling sessions, read by a
// goroutine each whatever p is.
func connectAll(ctx context.Context, clients []*client, from, to int, wsURL string, tokens []string, concurrency int, p *poller) ConnectStats {
	return openAll(ctx, clients, from, to, concurrency, func(ctx context.Context, c *client) error {
		return c.open(ctx, wsURL, tokens[c.idx%len(tokens)], p)
	})
}

// openAll runs open for clients[from:to], concurrency at a time, each within
// 30 s, and summarises how long each took and what failed.
func openAll(ctx context.Context, clients []*client, from, to, concurrency int, open func(context.Context, *client) error) ConnectStats {
	var (
		mu    sync.Mutex
		hist  histogram
		stats = ConnectStats{Attempted: to - from}
		wg    sync.WaitGroup
		sem   = make(chan struct{}, concurrency)
	)
	start := time.Now()
	for i := from; i < to; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			t0 := time.Now()
			err := open(cctx, clients[i])
			took := time.Since(t0)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				stats.Failed++
				if stats.FirstError == "" {
					stats.FirstError = err.Error()
				}
				return
			}
			hist.record(took)
		}()
	}
	wg.Wait()
	stats.Seconds = time.Since(start).Seconds()
	if stats.Seconds > 0 {
		stats.PerSecond = float64(stats.Attempted-stats.Failed) / stats.Seconds
	}
	stats.Latency = hist.summary()
	return stats
}

// open connects c with token and starts reading it: from the poller when
// there is one, else from a goroutine of its own; an http(s) URL (endpoint
// with "polling") opens a polling session, read by a goroutine whatever p is.
// c.ws (c.lp) stays nil on failure.
func (c *client) open(ctx context.Context, wsURL, token string, p *poller) error {
	if strings.HasPrefix(wsURL, "http") {
		lp, err := dialPolling(ctx, wsURL, token)
		if err != nil {
			return err
		}
		c.lp = lp
		go c.pollLoop()
		return nil
	}
	ws, err := dial(ctx, wsURL, token)
	if err != nil {
		return err
	}
	c.ws = ws
	if p == nil {
		go c.readLoop()
		return nil
	}
	c.polled = true
	if err := p.add(c); err != nil {
		ws.nc.Close()
		c.ws = nil
		return err
	}
	return nil
}

// newClients prepares n clients (not connected) in rooms of roomSize.
func newClients(n, roomSize int, run *runState, counting bool) []*client {
	clients := make([]*client, n)
	run.senderRoom = make([]int, n)
	run.hists = nil
	for i := range clients {
		room := i / roomSize
		c := &client{idx: i, room: room, run: run, joined: make(chan error, 1), done: make(chan struct{})}
		if counting {
			if room == len(run.hists) {
				run.hists = append(run.hists, &sharedHist{})
			}
			c.recv = newReceiver(room, run.hists[room])
		}
		clients[i] = c
		run.senderRoom[i] = room
	}
	return clients
}

// joinAll joins clients[from:to] to their rooms, concurrency at a time.
func joinAll(ctx context.Context, clients []*client, from, to int, roomIDs []int64, concurrency int) error {
	var (
		wg    sync.WaitGroup
		sem   = make(chan struct{}, concurrency)
		mu    sync.Mutex
		first error
		fails int
	)
	for i := from; i < to; i++ {
		c := clients[i]
		if !c.opened() {
			continue // failed to connect; already counted
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			jctx, cancel := context.WithTimeout(ctx, 60*time.Second)
			defer cancel()
			if err := c.join(jctx, roomIDs[c.room]); err != nil {
				mu.Lock()
				fails++
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return fmt.Errorf("%d joins failed, first: %w", fails, first)
	}
	return nil
}

// waitQuiet returns once no packet has arrived for quiet (or after max), so
// join announcements do not leak into the first measured step.
func waitQuiet(run *runState, quiet, max time.Duration) {
	deadline := time.Now().Add(max)
	last := run.packets.Load()
	lastChange := time.Now()
	for time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		if n := run.packets.Load(); n != last {
			last, lastChange = n, time.Now()
		} else if time.Since(lastChange) >= quiet {
			return
		}
	}
}

// closeAll stops reading (the poller first) and closes every connection.
func closeAll(clients []*client, run *runState, p *poller) {
	run.stopping.Store(true)
	if p != nil {
		p.close()
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for _, c := range clients {
		switch {
		case c.ws != nil:
			c.ws.close()
		case c.lp != nil:
			// Each close is a POST: many at a time.
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				c.lp.close()
				<-sem
			}()
		}
	}
	wg.Wait()
	for _, c := range clients {
		if c.opened() && !c.polled {
			<-c.done
		}
	}
}

func lastError(run *runState) string {
	s, _ := run.lastError.Load().(string)
	return strings.TrimSpace(s)
}
