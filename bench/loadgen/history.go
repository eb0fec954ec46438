package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// historyConfig is a REST read run: one room seeded with messages, then
// workers loop GET /api/rooms/{id}/messages?limit=Limit.
type historyConfig struct {
	Seed        int           `json:"seed_messages"`
	Limit       int           `json:"limit"`
	Workers     int           `json:"workers"`
	Duration    time.Duration `json:"-"`
	Warmup      time.Duration `json:"-"`
	Concurrency int           `json:"connect_concurrency"`
}

// HistoryResult is the outcome of a history run.
type HistoryResult struct {
	Requests   uint64  `json:"requests"`
	Errors     uint64  `json:"errors"`
	FirstError string  `json:"first_error,omitempty"`
	PerSecond  float64 `json:"requests_per_s"`
	Latency    Latency `json:"latency"`
	Window
}

// seedPerConn keeps each seeding connection inside a per-connection event burst.
const seedPerConn = 10

func runHistory(ctx context.Context, base string, w watch, cfg historyConfig, log *slog.Logger, rep *Report) error {
	rep.HistoryConfig = &cfg
	wsURL, err := socketURL(base)
	if err != nil {
		return err
	}
	a := newAPI(base)
	prefix := runPrefix()
	tokens, err := a.accounts(ctx, prefix, 1)
	if err != nil {
		return fmt.Errorf("users: %w", err)
	}
	roomIDs, err := a.rooms(ctx, tokens[0], prefix, 1)
	if err != nil {
		return fmt.Errorf("rooms: %w", err)
	}
	if err := seedRoom(ctx, wsURL, tokens, roomIDs, cfg); err != nil {
		return err
	}
	log.Info("history seeded", "room", roomIDs[0], "messages", cfg.Seed)

	path := "/api/rooms/" + strconv.FormatInt(roomIDs[0], 10) + "/messages?limit=" + strconv.Itoa(cfg.Limit)
	want := min(cfg.Limit, cfg.Seed)
	if n, err := countMessages(ctx, a, path, tokens[0]); err != nil || n != want {
		return fmt.Errorf("history check: got %d messages (want %d): %v", n, want, err)
	}
	loop := func(stop time.Time, res *HistoryResult, h *histogram, mu *sync.Mutex) {
		var local histogram
		var reqs, errs uint64
		var first string
		for time.Now().Before(stop) && ctx.Err() == nil {
			t0 := time.Now()
			err := getDiscard(ctx, a, path, tokens[0])
			local.record(time.Since(t0))
			reqs++
			if err != nil {
				errs++
				if first == "" {
					first = err.Error()
				}
			}
		}
		mu.Lock()
		defer mu.Unlock()
		h.merge(&local)
		res.Requests += reqs
		res.Errors += errs
		if res.FirstError == "" {
			res.FirstError = first
		}
	}
	run := func(d time.Duration) (HistoryResult, histogram, time.Duration) {
		var (
			res HistoryResult
			h   histogram
			mu  sync.Mutex
			wg  sync.WaitGroup
		)
		start := time.Now()
		stop := start.Add(d)
		for range cfg.Workers {
			wg.Add(1)
			go func() { defer wg.Done(); loop(stop, &res, &h, &mu) }()
		}
		wg.Wait()
		return res, h, time.Since(start)
	}
	run(cfg.Warmup)
	begin := w.begin()
	res, h, _ := run(cfg.Duration)
	win, took := w.end(begin)
	res.Window = win
	res.PerSecond = float64(res.Requests) / took.Seconds()
	res.Latency = h.summary()
	rep.History = &res
	log.Info("history", "requests_per_s", int(res.PerSecond), "p99_ms", res.Latency.P99, "errors", res.Errors)
	return nil
}

// seedRoom posts cfg.Seed messages over Socket.IO (stored like any other) from
// a few connections, and waits for every message_sent confirmation.
func seedRoom(ctx context.Context, wsURL string, tokens []string, roomIDs []int64, cfg historyConfig) error {
	n := (cfg.Seed + seedPerConn - 1) / seedPerConn
	run := &runState{}
	clients := newClients(n, n, run, false)
	cs := connectAll(ctx, clients, 0, n, wsURL, tokens, cfg.Concurrency, nil)
	defer closeAll(clients, run, nil)
	if cs.Failed > 0 {
		return fmt.Errorf("seed: %d connections failed: %s", cs.Failed, cs.FirstError)
	}
	if err := joinAll(ctx, clients, 0, n, roomIDs, cfg.Concurrency); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	for i := range cfg.Seed {
		c := clients[i/seedPerConn]
		pkt := `42["send_message",{"room_id":` + strconv.FormatInt(roomIDs[0], 10) + `,"content":"history message ` + strconv.Itoa(i) + `"}]`
		if err := c.write([]byte(pkt)); err != nil {
			return fmt.Errorf("seed: send: %w", err)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for run.messageSent.Load() < int64(cfg.Seed) {
		if time.Now().After(deadline) || run.errors.Load() > 0 {
			return fmt.Errorf("seed: %d of %d messages confirmed (last error: %s)", run.messageSent.Load(), cfg.Seed, lastError(run))
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

func getDiscard(ctx context.Context, a *api, path, token string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.base+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := a.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

func countMessages(ctx context.Context, a *api, path, token string) (int, error) {
	var msgs []json.RawMessage
	if _, err := a.do(ctx, http.MethodGet, path, token, nil, &msgs); err != nil {
		return 0, err
	}
	return len(msgs), nil
}
