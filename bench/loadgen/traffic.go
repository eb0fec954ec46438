package main

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// trafficConfig is a fan-out run: conns connections in rooms of roomSize,
// senders per room, the per-room message rate stepped through rates.
type trafficConfig struct {
	Conns       int           `json:"conns"`
	RoomSize    int           `json:"room_size"`
	Senders     int           `json:"senders_per_room"`
	Rates       []float64     `json:"room_rates"` // messages/s per room, one step each
	Payload     int           `json:"payload_bytes"`
	Warmup      time.Duration `json:"-"`
	Duration    time.Duration `json:"-"`
	Drain       time.Duration `json:"-"`
	P99Limit    time.Duration `json:"-"`
	StopOnFail  bool          `json:"stop_on_fail"`
	RetryFailed bool          `json:"retry_failed"`
	Users       int           `json:"users"`
	Concurrency int           `json:"connect_concurrency"`
	Reader      string        `json:"reader"`
	// Transport is websocket (bare, from the first request) or polling
	// (Engine.IO long-polling that never upgrades).
	Transport string `json:"transport,omitempty"`
	// InStep makes every room send at the same instants (bursts of one
	// message per room); by default rooms are spread over the interval.
	InStep bool `json:"rooms_in_step"`
}

// StepResult is one rate step of a traffic run.
type StepResult struct {
	RoomRate          float64 `json:"room_rate"`   // target messages/s per room
	SenderRate        float64 `json:"sender_rate"` // target messages/s per sending connection
	Seconds           float64 `json:"seconds"`     // measured window
	Sent              uint64  `json:"sent"`
	SentPerSec        float64 `json:"sent_per_s"`
	TargetSentPerSec  float64 `json:"target_sent_per_s"`
	Expected          uint64  `json:"expected"`
	Lost              uint64  `json:"lost"`
	DeliveriesPerSec  float64 `json:"deliveries_per_s"`
	OfferedDeliveries float64 `json:"offered_deliveries_per_s"`
	recvCounts
	Latency      Latency `json:"latency"`
	SendLagMaxMS float64 `json:"send_lag_max_ms"`
	ErrorEvents  int64   `json:"error_events"`
	Closed       int64   `json:"closed_connections"`
	LastError    string  `json:"last_error,omitempty"`
	Window
	Retried  bool   `json:"retried,omitempty"`   // this is the second try at the rate
	FirstTry string `json:"first_try,omitempty"` // why the first try failed
	Pass     bool   `json:"pass"`
	Why      string `json:"why,omitempty"`
}

// phase of the senders: warmup, measure, or stop.
const phaseStop = 's'

type trafficRun struct {
	cfg     trafficConfig
	run     *runState
	clients []*client
	roomIDs []int64
	watch   watch
	log     *slog.Logger
}

func runTraffic(ctx context.Context, base string, w watch, cfg trafficConfig, log *slog.Logger, rep *Report) error {
	if cfg.RoomSize <= 0 || cfg.Conns < cfg.RoomSize || cfg.Conns%cfg.RoomSize != 0 {
		return fmt.Errorf("conns (%d) must be a positive multiple of room size (%d)", cfg.Conns, cfg.RoomSize)
	}
	if cfg.Senders <= 0 || cfg.Senders > cfg.RoomSize {
		return fmt.Errorf("senders per room (%d) must be in 1..room size", cfg.Senders)
	}
	wsURL, err := endpoint(base, cfg.Transport)
	if err != nil {
		return err
	}
	rep.Traffic = &cfg
	a := newAPI(base)
	prefix := runPrefix()
	users := min(cfg.Users, cfg.Conns)
	log.Info("registering users", "n", users)
	tokens, err := a.accounts(ctx, prefix, users)
	if err != nil {
		return fmt.Errorf("users: %w", err)
	}
	nRooms := cfg.Conns / cfg.RoomSize
	roomIDs, err := a.rooms(ctx, tokens[0], prefix, nRooms)
	if err != nil {
		return fmt.Errorf("rooms: %w", err)
	}
	run := &runState{}
	clients := newClients(cfg.Conns, cfg.RoomSize, run, true)
	p, err := newReader(cfg.Reader)
	if err != nil {
		return err
	}
	log.Info("connecting", "n", cfg.Conns)
	cs := connectAll(ctx, clients, 0, cfg.Conns, wsURL, tokens, cfg.Concurrency, p)
	rep.Connect = &cs
	defer closeAll(clients, run, p)
	if cs.Failed > 0 {
		return fmt.Errorf("%d of %d connections failed, first: %s", cs.Failed, cs.Attempted, cs.FirstError)
	}
	log.Info("joining rooms", "rooms", nRooms)
	if err := joinAll(ctx, clients, 0, cfg.Conns, roomIDs, cfg.Concurrency); err != nil {
		return err
	}
	waitQuiet(run, time.Second, 60*time.Second)
	if s, err := sampleProc(w.pid); err == nil {
		rep.RSSBeforeTraffic = s.RSSBytes
	}
	defer func() {
		if s, err := sampleProc(w.pid); err == nil {
			rep.RSSAfterTraffic = s.RSSBytes
		}
	}()

	t := &trafficRun{cfg: cfg, run: run, clients: clients, roomIDs: roomIDs, watch: w, log: log}
	for i, rate := range cfg.Rates {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		res := t.step(ctx, 2*i+1, rate)
		if !res.Pass && res.Closed == 0 && cfg.RetryFailed {
			// One more try at the same rate: a single noisy window (another
			// program, a GC pause) should not end the scenario.
			log.Info("step failed, retrying once", "room_rate", rate, "why", res.Why)
			res.Retried = true
			waitQuiet(run, 500*time.Millisecond, 10*time.Second)
			again := t.step(ctx, 2*i+2, rate)
			again.Retried, again.FirstTry = true, res.Why
			res = again
		}
		rep.Steps = append(rep.Steps, res)
		log.Info("step", "room_rate", rate, "deliveries_per_s", int(res.DeliveriesPerSec), "p99_ms", res.Latency.P99,
			"lost", res.Lost, "dups", res.Duplicates, "server_cpu", fmt.Sprintf("%.2f", res.ServerCPU),
			"gen_cpu", fmt.Sprintf("%.2f", res.GeneratorCPU), "other_on_server_core", fmt.Sprintf("%.2f", res.OtherOnSrv),
			"pass", res.Pass, "why", res.Why)
		if res.Pass && (rep.Best == nil || res.DeliveriesPerSec > rep.Best.DeliveriesPerSec) {
			best := res
			rep.Best = &best
		}
		if !res.Pass && cfg.StopOnFail {
			break
		}
		if run.closed.Load() > 0 {
			break // the connection set is broken; later steps would mean nothing
		}
	}
	return nil
}

// discardLateDeliveries drops what receivers counted after the last step was
// collected: an overloaded server's late deliveries of that step would
// otherwise count in the next one, as received and, through their sequence
// numbers, make its messages look like duplicates. Call it once the new step
// number is stored, so later stragglers count as stale.
func (t *trafficRun) discardLateDeliveries() {
	var late recvCounts
	var hist histogram
	for _, c := range t.clients {
		c.recv.collect(&late)
	}
	for _, h := range t.run.hists {
		h.drain(&hist)
	}
}

// step runs one rate: warmup, measured window, drain, collect.
func (t *trafficRun) step(ctx context.Context, step int, roomRate float64) StepResult {
	cfg := t.cfg
	run := t.run
	run.step.Store(int64(step))
	t.discardLateDeliveries()
	run.unique.Store(0)
	errs0, closed0 := run.errors.Load(), run.closed.Load()
	var phase atomic.Int32
	phase.Store(phaseWarmup)

	nRooms := len(t.roomIDs)
	sent := make([]uint64, nRooms)
	lags := make([]time.Duration, nRooms)
	var wg sync.WaitGroup
	for r := range nRooms {
		senders := t.clients[r*cfg.RoomSize : r*cfg.RoomSize+cfg.Senders]
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Rooms are spread over the interval (room r starts r/nRooms of it
			// late): started in step, every room would send at the same
			// instant and each tick would be one burst of nRooms messages.
			offset := time.Duration(float64(time.Second) / roomRate * float64(r) / float64(nRooms))
			if cfg.InStep {
				offset = 0
			}
			sent[r], lags[r] = sendRoom(senders, t.roomIDs[r], step, roomRate, offset, cfg.Payload, &phase, run)
		}()
	}
	sleepCtx(ctx, cfg.Warmup)

	begin := t.watch.begin()
	phase.Store(phaseMeasure)
	sleepCtx(ctx, cfg.Duration)
	phase.Store(phaseStop)
	win, window := t.watch.end(begin)
	wg.Wait()

	res := StepResult{RoomRate: roomRate, SenderRate: roomRate / float64(cfg.Senders), Seconds: window.Seconds(), Window: win}
	for r := range nRooms {
		res.Sent += sent[r]
		res.SendLagMaxMS = max(res.SendLagMaxMS, float64(lags[r])/float64(time.Millisecond))
	}
	res.Expected = res.Sent * uint64(cfg.RoomSize)

	// Drain: give in-flight deliveries time to land, no longer than needed.
	deadline := time.Now().Add(cfg.Drain)
	for uint64(run.unique.Load()) < res.Expected && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}

	var hist histogram
	for _, c := range t.clients {
		c.recv.collect(&res.recvCounts)
	}
	for _, h := range run.hists {
		h.drain(&hist)
	}
	res.Latency = hist.summary()
	if res.Expected > res.Received {
		res.Lost = res.Expected - res.Received
	}
	res.SentPerSec = float64(res.Sent) / res.Seconds
	res.TargetSentPerSec = roomRate * float64(nRooms)
	res.DeliveriesPerSec = float64(res.Received) / res.Seconds
	res.OfferedDeliveries = roomRate * float64(nRooms*cfg.RoomSize)
	res.ErrorEvents = run.errors.Load() - errs0
	res.Closed = run.closed.Load() - closed0
	res.LastError = lastError(run)
	res.Pass, res.Why = judge(res, cfg.P99Limit)
	return res
}

// judge says whether a step is sustainable: everything delivered once, on time,
// at the offered rate, with nothing refused.
func judge(r StepResult, p99Limit time.Duration) (bool, string) {
	limitMS := float64(p99Limit) / float64(time.Millisecond)
	switch {
	case r.Closed > 0:
		return false, fmt.Sprintf("%d connections closed", r.Closed)
	case r.ErrorEvents > 0:
		return false, fmt.Sprintf("%d error events", r.ErrorEvents)
	case r.Lost > 0:
		return false, fmt.Sprintf("lost %d of %d", r.Lost, r.Expected)
	case r.Duplicates > 0 || r.Foreign > 0:
		return false, fmt.Sprintf("%d duplicates, %d misrouted", r.Duplicates, r.Foreign)
	case r.Latency.P99 > limitMS:
		return false, fmt.Sprintf("p99 %.1f ms > %.0f ms", r.Latency.P99, limitMS)
	case r.SentPerSec < 0.95*r.TargetSentPerSec:
		return false, fmt.Sprintf("offered rate not reached: sent %.0f/s of %.0f/s", r.SentPerSec, r.TargetSentPerSec)
	}
	return true, ""
}

// sendRoom paces one room's messages round-robin over its senders until the
// phase says stop. Times are scheduled ahead (start + k·interval) so pacing
// does not drift; a sender that falls behind sends at once and records the lag.
// The first message is scheduled offset after now.
func sendRoom(senders []*client, roomID int64, step int, rate float64, offset time.Duration, payload int, phase *atomic.Int32, run *runState) (sent uint64, maxLag time.Duration) {
	interval := time.Duration(float64(time.Second) / rate)
	prefix := []byte(`42["send_message",{"room_id":` + strconv.FormatInt(roomID, 10) + `,"content":"`)
	suffix := []byte(`"}]`)
	buf := make([]byte, 0, len(prefix)+payload+64)
	seqs := make([]int, len(senders))
	current := phase.Load()
	start := time.Now().Add(offset)
	for k := 0; ; k++ {
		at := start.Add(time.Duration(k) * interval)
		if d := time.Until(at); d > 0 {
			time.Sleep(d)
		} else if -d > maxLag {
			maxLag = -d
		}
		ph := phase.Load()
		if ph == phaseStop {
			return sent, maxLag
		}
		if ph != current {
			current = ph
			clear(seqs)
		}
		s := k % len(senders)
		m := marker{step: step, phase: byte(ph), sender: senders[s].idx, seq: seqs[s], sentNS: at.UnixNano()}
		seqs[s]++
		buf = append(buf[:0], prefix...)
		buf = appendContent(buf, m, payload)
		buf = append(buf, suffix...)
		if err := senders[s].write(buf); err != nil {
			run.lastError.Store("send: " + err.Error())
			for phase.Load() != phaseStop {
				time.Sleep(10 * time.Millisecond)
			}
			return sent, maxLag
		}
		if ph == phaseMeasure {
			sent++
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-time.After(d):
	case <-ctx.Done():
	}
}
