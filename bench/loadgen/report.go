package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"
)

// Report is everything one generator run measured; it is written as JSON and
// summarised for people.
type Report struct {
	Label     string    `json:"label"`
	Mode      string    `json:"mode"`
	URL       string    `json:"url"`
	ServerPID int       `json:"server_pid"`
	StartedAt time.Time `json:"started_at"`
	Seconds   float64   `json:"seconds"`
	Error     string    `json:"error,omitempty"`

	Traffic *trafficConfig `json:"traffic,omitempty"`
	Connect *ConnectStats  `json:"connect,omitempty"`
	Steps   []StepResult   `json:"steps,omitempty"`
	Best    *StepResult    `json:"best,omitempty"` // highest passing step
	// The server's RSS with the run's connections joined and idle before the
	// first step, and after the last step's deliveries have drained.
	RSSBeforeTraffic int64 `json:"rss_before_traffic_bytes,omitempty"`
	RSSAfterTraffic  int64 `json:"rss_after_traffic_bytes,omitempty"`

	Idle            *idleConfig `json:"idle,omitempty"`
	IdleBaselineRSS int64       `json:"idle_baseline_rss_bytes,omitempty"`
	IdlePoints      []IdlePoint `json:"idle_points,omitempty"`

	Storm       *stormConfig `json:"storm,omitempty"`
	StormRounds []StormRound `json:"storm_rounds,omitempty"`

	HistoryConfig *historyConfig `json:"history_config,omitempty"`
	History       *HistoryResult `json:"history,omitempty"`

	GeneratorCPUSeconds float64 `json:"generator_cpu_s"`
}

func writeJSON(path string, rep *Report) error {
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	if path == "" || path == "-" {
		_, err = os.Stdout.Write(append(data, '\n'))
		return err
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

func readReport(path string) (*Report, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read report: %w", err)
	}
	var rep Report
	if err := json.Unmarshal(data, &rep); err != nil {
		return nil, fmt.Errorf("decode report %s: %w", path, err)
	}
	return &rep, nil
}

// printSummary writes the human-readable view of a report.
func printSummary(w io.Writer, rep *Report) {
	fmt.Fprintf(w, "== %s %s (%s) in %.0fs, generator CPU %.1fs\n", rep.Label, rep.Mode, rep.URL, rep.Seconds, rep.GeneratorCPUSeconds)
	if rep.Error != "" {
		fmt.Fprintf(w, "ERROR: %s\n", rep.Error)
	}
	if c := rep.Connect; c != nil {
		fmt.Fprintf(w, "connect: %d/%d ok in %.1fs (%.0f/s), p50 %.1f ms p99 %.1f ms max %.1f ms\n",
			c.Attempted-c.Failed, c.Attempted, c.Seconds, c.PerSecond, c.Latency.P50, c.Latency.P99, c.Latency.Max)
	}
	if len(rep.Steps) > 0 {
		fmt.Fprintf(w, "%8s %10s %10s %9s %6s %5s %8s %8s %8s %8s %6s %6s %6s %7s %6s  %s\n",
			"room/s", "offered/s", "deliv/s", "expected", "lost", "dup", "p50ms", "p90ms", "p99ms", "maxms", "srvCPU", "genCPU", "other", "rssMiB", "wr/dlv", "result")
		for _, s := range rep.Steps {
			result := "PASS"
			if !s.Pass {
				result = "FAIL " + s.Why
			}
			if s.Retried {
				result += " (second try; first: " + s.FirstTry + ")"
			}
			result += s.Window.notes()
			writesPerDelivery := 0.0
			if s.DeliveriesPerSec > 0 {
				writesPerDelivery = s.ServerWrites / s.DeliveriesPerSec
			}
			fmt.Fprintf(w, "%8.0f %10.0f %10.0f %9d %6d %5d %8.1f %8.1f %8.1f %8.1f %6.2f %6.2f %6.2f %7d %6.2f  %s\n",
				s.RoomRate, s.OfferedDeliveries, s.DeliveriesPerSec, s.Expected, s.Lost, s.Duplicates,
				s.Latency.P50, s.Latency.P90, s.Latency.P99, s.Latency.Max, s.ServerCPU, s.GeneratorCPU,
				max(s.OtherOnSrv, s.OtherOnGen), s.Server.RSSBytes>>20, writesPerDelivery, result)
		}
		if b := rep.Best; b != nil {
			fmt.Fprintf(w, "best sustainable: %.0f deliveries/s (room rate %.0f/s), p99 %.1f ms\n", b.DeliveriesPerSec, b.RoomRate, b.Latency.P99)
		} else {
			fmt.Fprintln(w, "best sustainable: none (no step passed)")
		}
	}
	if len(rep.IdlePoints) > 0 {
		fmt.Fprintf(w, "idle baseline RSS %.1f MiB\n", float64(rep.IdleBaselineRSS)/(1<<20))
		fmt.Fprintf(w, "%8s %9s %12s %8s %10s\n", "conns", "rssMiB", "KiB/conn", "threads", "connect/s")
		for _, p := range rep.IdlePoints {
			fmt.Fprintf(w, "%8d %9.1f %12.1f %8d %10.0f\n", p.Conns, float64(p.RSSBytes)/(1<<20), p.PerConnKiB, p.Threads, p.Connect.PerSecond)
		}
	}
	if len(rep.StormRounds) > 0 {
		fmt.Fprintf(w, "%8s %8s %10s %12s %10s %10s  %s\n", "conns", "failed", "all in s", "CPU/conn ms", "p50 ms", "p99 ms", "notes")
		for _, r := range rep.StormRounds {
			fmt.Fprintf(w, "%8d %8d %10.2f %12.3f %10.1f %10.1f %s\n", r.Conns, r.Connect.Failed, r.Seconds, r.CPUPerConnectMs,
				r.Connect.Latency.P50, r.Connect.Latency.P99, r.Window.notes())
		}
	}
	if h := rep.History; h != nil {
		fmt.Fprintf(w, "history: %.0f req/s, p50 %.1f ms p99 %.1f ms max %.1f ms, %d errors, server CPU %.2f, generator CPU %.2f%s\n",
			h.PerSecond, h.Latency.P50, h.Latency.P99, h.Latency.Max, h.Errors, h.ServerCPU, h.GeneratorCPU, h.Window.notes())
	}
}

// runPrefix makes user and room names unique per run so reruns against the
// same database never collide.
func runPrefix() string {
	return "b" + strconv.FormatInt(time.Now().UnixNano()%(1<<40), 36)
}

// notes flags a window whose figures should not be trusted as they stand.
func (w Window) notes() string {
	var s string
	if w.Contended {
		s += fmt.Sprintf(" [CONTENDED: other programs used %.0f%% of the server core, %.0f%% of the generator core]", 100*w.OtherOnSrv, 100*w.OtherOnGen)
	}
	if w.GenSaturated {
		s += " [generator saturated]"
	}
	return s
}
