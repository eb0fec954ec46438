package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// stormConfig is a reconnect storm (issue 25 item 2): Conns connections open
// and join their rooms, all drop at once (as when a deploy restarts the
// service, or a network blip), the server settles, then every one of them
// reconnects — authenticating again — and rejoins its room at the same time.
type stormConfig struct {
	Conns       int           `json:"conns"`
	RoomSize    int           `json:"room_size"`
	Users       int           `json:"users"`
	Concurrency int           `json:"connect_concurrency"` // for the first, unmeasured opening
	Burst       int           `json:"burst_concurrency"`   // reconnects in flight at once during the storm
	Rounds      int           `json:"rounds"`
	Settle      time.Duration `json:"-"`
	Reader      string        `json:"reader"`
}

// StormRound is one storm: from the first reconnect to the last rejoin.
type StormRound struct {
	Conns   int          `json:"conns"`
	Connect ConnectStats `json:"connect"` // dial, Engine.IO open, authenticated CONNECT and join_room, each
	Joined  int          `json:"joined"`
	// Seconds from the first reconnect to the last join_room answer.
	Seconds float64 `json:"seconds"`
	// ServerCPUSeconds the server used over Seconds; per connection it is the
	// cost of a reconnect with its authentication and its rejoin.
	ServerCPUSeconds float64 `json:"server_cpu_s"`
	CPUPerConnectMs  float64 `json:"cpu_per_connect_ms"`
	Window           Window  `json:"window"`
}

func runStorm(ctx context.Context, base string, w watch, cfg stormConfig, log *slog.Logger, rep *Report) error {
	if cfg.Conns <= 0 || cfg.RoomSize <= 0 || cfg.Rounds <= 0 {
		return fmt.Errorf("storm: need conns, a room size and rounds")
	}
	if w.pid == 0 {
		return fmt.Errorf("storm: -server-pid is required to read the server's CPU time")
	}
	rep.Storm = &cfg
	wsURL, err := socketURL(base)
	if err != nil {
		return err
	}
	a := newAPI(base)
	prefix := runPrefix()
	tokens, err := a.accounts(ctx, prefix, min(cfg.Users, cfg.Conns))
	if err != nil {
		return fmt.Errorf("users: %w", err)
	}
	roomIDs, err := a.rooms(ctx, tokens[0], prefix, (cfg.Conns+cfg.RoomSize-1)/cfg.RoomSize)
	if err != nil {
		return fmt.Errorf("rooms: %w", err)
	}
	burst := cfg.Burst
	if burst <= 0 {
		burst = cfg.Conns
	}
	concurrency := cfg.Concurrency
	for round := 0; round <= cfg.Rounds; round++ {
		// Round 0 opens the connections the first storm drops; it is not measured.
		measured := round > 0
		if measured {
			concurrency = burst
		}
		run := &runState{}
		clients := newClients(cfg.Conns, cfg.RoomSize, run, false)
		p, err := newReader(cfg.Reader)
		if err != nil {
			return err
		}
		sleepCtx(ctx, cfg.Settle)
		start := w.begin()
		// Each client rejoins as soon as it is connected, as a real one does.
		cs := openAll(ctx, clients, 0, cfg.Conns, concurrency, func(ctx context.Context, c *client) error {
			if err := c.open(ctx, wsURL, tokens[c.idx%len(tokens)], p); err != nil {
				return err
			}
			return c.join(ctx, roomIDs[c.room])
		})
		win, took := w.end(start)
		if measured {
			r := StormRound{Conns: cfg.Conns, Connect: cs, Joined: cfg.Conns - cs.Failed, Seconds: took.Seconds(), Window: win}
			r.ServerCPUSeconds = win.ServerCPU * took.Seconds()
			if r.Joined > 0 {
				r.CPUPerConnectMs = 1000 * r.ServerCPUSeconds / float64(r.Joined)
			}
			rep.StormRounds = append(rep.StormRounds, r)
			log.Info("storm", "round", round, "conns", cfg.Conns, "seconds", fmt.Sprintf("%.2f", r.Seconds),
				"cpu_per_connect_ms", fmt.Sprintf("%.3f", r.CPUPerConnectMs), "failed", cs.Failed)
		}
		// Everyone drops at once; the server's teardown is left out of the next
		// round's window by the settle before it.
		closeAll(clients, run, p)
		if cs.Failed > 0 {
			return fmt.Errorf("round %d: %d of %d connections failed, first: %s", round, cs.Failed, cs.Attempted, cs.FirstError)
		}
	}
	return nil
}
