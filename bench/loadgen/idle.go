package main

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"
)

// idleConfig is a memory run: connections opened in cumulative steps, each in
// a room, then left alone while the server's resident memory is read.
type idleConfig struct {
	Counts      []int         `json:"counts"`
	RoomSize    int           `json:"room_size"`
	Users       int           `json:"users"`
	Settle      time.Duration `json:"-"`
	Hold        time.Duration `json:"-"` // keep the connections open this long at the end (for a heap profile)
	Concurrency int           `json:"connect_concurrency"`
	Reader      string        `json:"reader"`
}

// IdlePoint is the server's memory with Conns idle connections.
type IdlePoint struct {
	Conns        int          `json:"conns"`
	RSSBytes     int64        `json:"rss_bytes"`
	Threads      int          `json:"threads"`
	PerConnBytes float64      `json:"per_conn_bytes"` // (RSS - baseline RSS) / Conns
	PerConnKiB   float64      `json:"per_conn_kib"`
	Connect      ConnectStats `json:"connect"`
	Closed       int64        `json:"closed_connections"`
}

func runIdle(ctx context.Context, base string, w watch, cfg idleConfig, log *slog.Logger, rep *Report) error {
	if len(cfg.Counts) == 0 || cfg.RoomSize <= 0 {
		return fmt.Errorf("idle: need counts and a room size")
	}
	pid := w.pid
	if pid == 0 {
		return fmt.Errorf("idle: -server-pid is required to read the server's memory")
	}
	slices.Sort(cfg.Counts)
	rep.Idle = &cfg
	wsURL, err := socketURL(base)
	if err != nil {
		return err
	}
	a := newAPI(base)
	prefix := runPrefix()
	maxN := cfg.Counts[len(cfg.Counts)-1]
	tokens, err := a.accounts(ctx, prefix, min(cfg.Users, maxN))
	if err != nil {
		return fmt.Errorf("users: %w", err)
	}
	roomIDs, err := a.rooms(ctx, tokens[0], prefix, (maxN+cfg.RoomSize-1)/cfg.RoomSize)
	if err != nil {
		return fmt.Errorf("rooms: %w", err)
	}
	baseline, err := settledRSS(pid, cfg.Settle)
	if err != nil {
		return err
	}
	rep.IdleBaselineRSS = baseline.RSSBytes
	log.Info("idle baseline", "rss_mib", baseline.RSSBytes>>20)

	run := &runState{}
	clients := newClients(maxN, cfg.RoomSize, run, false)
	p, err := newReader(cfg.Reader)
	if err != nil {
		return err
	}
	defer closeAll(clients, run, p)
	opened := 0
	for _, n := range cfg.Counts {
		cs := connectAll(ctx, clients, opened, n, wsURL, tokens, cfg.Concurrency, p)
		if err := joinAll(ctx, clients, opened, n, roomIDs, cfg.Concurrency); err != nil {
			return err
		}
		opened = n
		waitQuiet(run, time.Second, 60*time.Second)
		s, err := settledRSS(pid, cfg.Settle)
		if err != nil {
			return err
		}
		per := float64(s.RSSBytes-baseline.RSSBytes) / float64(n)
		p := IdlePoint{Conns: n, RSSBytes: s.RSSBytes, Threads: s.Threads, PerConnBytes: per, PerConnKiB: per / 1024, Connect: cs, Closed: run.closed.Load()}
		rep.IdlePoints = append(rep.IdlePoints, p)
		log.Info("idle", "conns", n, "rss_mib", s.RSSBytes>>20, "per_conn_kib", fmt.Sprintf("%.1f", p.PerConnKiB),
			"connect_per_s", int(cs.PerSecond), "failed", cs.Failed)
		if cs.Failed > 0 {
			return fmt.Errorf("%d of %d connections failed, first: %s", cs.Failed, cs.Attempted, cs.FirstError)
		}
	}
	if cfg.Hold > 0 {
		log.Info("holding connections", "for", cfg.Hold)
		sleepCtx(ctx, cfg.Hold)
	}
	return nil
}

// settledRSS waits settle, then takes the smallest of three readings a second
// apart: a garbage-collected runtime's RSS wobbles, and the floor is what the
// connections actually hold.
func settledRSS(pid int, settle time.Duration) (ProcSample, error) {
	time.Sleep(settle)
	var best ProcSample
	for i := range 3 {
		if i > 0 {
			time.Sleep(time.Second)
		}
		s, err := sampleProc(pid)
		if err != nil {
			return ProcSample{}, err
		}
		if i == 0 || s.RSSBytes < best.RSSBytes {
			best = s
		}
	}
	return best, nil
}
