package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
)

// Targets of the benchmark issues (8, then 25), as ratios against Node in
// the same run. Each is computed against every Node configuration of the run
// (plain ws, and ws with its native addons), so "met" means met against Node
// at its best.
const (
	targetFanoutRatio  = 4.0     // issue 25
	targetBigRoomRatio = 3.0     // issue 25
	targetPollingRatio = 2.0     // issue 25: long-polling clients, fan-out
	targetP99Ratio     = 1.0 / 3 // issue 8
	targetTrafficRSS   = 2.0     // issue 25: RSS after the fan-out steps ≤ 2× the idle RSS before them
	targetStormSeconds = 5.0     // issue 25: a reconnect storm is over (all rejoined) within 5 s
	targetConnectMs    = 0.4     // issue 25: server CPU per reconnect, authentication included
	targetConnectRatio = 3.0     // … and at most a third of Node's
)

// targetIdleConns are the idle counts at which our RSS must be at or below
// Node's (issue 25).
var targetIdleConns = []int{5000, 15000}

// The servers and scenarios of run.sh, in table order.
var (
	tableServers   = []string{"node", "node-native", "go"}
	tableScenarios = []string{"idle", "fanout", "fanout-polling", "bigroom", "storm", "history"}
)

// nodeConfigs are run.sh's two Node reference configurations.
var nodeConfigs = []struct{ key, name string }{
	{"node", "node (ws in JS)"},
	{"node-native", "node-native (ws + bufferutil)"},
}

// results are the reports of one run.sh directory: <server>-<scenario>.json.
type results map[string]*Report

func loadResults(dir string) (results, error) {
	r := results{}
	for _, server := range tableServers {
		for _, scenario := range tableScenarios {
			rep, err := readReport(filepath.Join(dir, server+"-"+scenario+".json"))
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return nil, err
			}
			r[server+"-"+scenario] = rep
		}
	}
	if len(r) == 0 {
		return nil, fmt.Errorf("no reports in %s", dir)
	}
	return r, nil
}

// nodes are the Node configurations that have at least one report in r.
func (r results) nodes() []struct{ key, name string } {
	var out []struct{ key, name string }
	for _, n := range nodeConfigs {
		for _, sc := range tableScenarios {
			if r[n.key+"-"+sc] != nil {
				out = append(out, n)
				break
			}
		}
	}
	return out
}

// printTable compares each Node configuration with Go in a markdown table
// with the issues' targets: one row per measure and Node configuration.
func printTable(w io.Writer, dir string) error {
	if dir == "" {
		return fmt.Errorf("table: -dir is required")
	}
	r, err := loadResults(dir)
	if err != nil {
		return err
	}
	nodes := r.nodes()
	if len(nodes) == 0 {
		// Go alone (SERVERS=go): its figures, no ratios.
		nodes = []struct{ key, name string }{{"", "—"}}
	}
	fmt.Fprintln(w, "| measure | Node configuration | Node | Go | Go vs Node | target | met |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|")
	row := func(name, config, node, goV, ratio, target, met string) {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s |\n", name, config, node, goV, ratio, target, met)
	}
	for _, sc := range []struct {
		key, name string
		target    float64
	}{
		{"fanout", "fan-out 50×20: highest sustainable deliveries/s", targetFanoutRatio},
		{"bigroom", "big room 1×500: highest sustainable deliveries/s", targetBigRoomRatio},
		{"fanout-polling", "fan-out 50×20, long-polling clients: highest sustainable deliveries/s", targetPollingRatio},
	} {
		for _, nc := range nodes {
			nRep, gRep := r[nc.key+"-"+sc.key], r["go-"+sc.key]
			if nRep == nil && gRep == nil {
				continue
			}
			n, g := best(nRep), best(gRep)
			ratio, met := "—", "—"
			if n != nil && g != nil && n.DeliveriesPerSec > 0 {
				x := g.DeliveriesPerSec / n.DeliveriesPerSec
				ratio, met = fmt.Sprintf("%.2f×", x), yes(x >= sc.target)
			}
			if nRep != nil && gRep != nil && g == nil {
				met = yes(false) // Go sustained no step
			}
			row(sc.name, nc.name, stepCell(n, nRep), stepCell(g, gRep), ratio, fmt.Sprintf("≥ %.0f×", sc.target), met)
		}
	}
	for _, nc := range nodes {
		n := best(r[nc.key+"-fanout"])
		if n == nil {
			continue
		}
		g := stepAt(r["go-fanout"], n.RoomRate)
		ratio, met, goCell := "—", "—", "—"
		if g == nil && r["go-fanout"] != nil {
			goCell, met = "not reached: "+lastFailure(r["go-fanout"]), yes(false)
		}
		if g != nil {
			goCell = fmt.Sprintf("%.1f ms", g.Latency.P99)
			if n.Latency.P99 > 0 {
				x := g.Latency.P99 / n.Latency.P99
				ratio, met = fmt.Sprintf("%.2f×", x), yes(x <= targetP99Ratio && g.Pass)
			}
		}
		row(fmt.Sprintf("fan-out p99 at Node's best rate (%.0f msg/s per room)", n.RoomRate), nc.name, fmt.Sprintf("%.1f ms", n.Latency.P99), goCell, ratio, "≤ ⅓", met)
	}
	for _, conns := range targetIdleConns {
		for _, nc := range nodes {
			nRep, gRep := r[nc.key+"-idle"], r["go-idle"]
			np, gp := idlePoint(nRep, conns), idlePoint(gRep, conns)
			if np == nil && gp == nil {
				continue
			}
			met := "—"
			if np != nil && gp != nil {
				met = yes(gp.RSSBytes <= np.RSSBytes)
			}
			row(fmt.Sprintf("RSS with %d idle connections", conns), nc.name, idleCell(np, nRep), idleCell(gp, gRep),
				ratioCell(rssOf(gp), rssOf(np), np != nil && gp != nil), "≤ Node's", met)
		}
	}
	for _, sc := range []string{"fanout", "fanout-polling", "bigroom"} {
		rep := r["go-"+sc]
		if rep == nil || rep.RSSBeforeTraffic == 0 || rep.RSSAfterTraffic == 0 {
			continue // reports before 2026-12-08 do not carry it
		}
		x := float64(rep.RSSAfterTraffic) / float64(rep.RSSBeforeTraffic)
		row(fmt.Sprintf("Go RSS after the %s steps vs idle before them", sc), "—", "—",
			fmt.Sprintf("%s → %s", mib(rep.RSSBeforeTraffic, true), mib(rep.RSSAfterTraffic, true)),
			fmt.Sprintf("%.2f×", x), fmt.Sprintf("≤ %.0f×", targetTrafficRSS), yes(x <= targetTrafficRSS))
	}
	for _, nc := range nodes {
		ns, gs := slowestStorm(r[nc.key+"-storm"]), slowestStorm(r["go-storm"])
		if ns == nil && gs == nil {
			continue
		}
		sCell := func(s *StormRound) string {
			if s == nil {
				return "—"
			}
			return fmt.Sprintf("%.2f s, %.3f ms CPU each (%d failed)", s.Seconds, s.CPUPerConnectMs, s.Connect.Failed)
		}
		ratio, met := "—", "—"
		if gs != nil {
			ok := gs.Seconds <= targetStormSeconds && gs.CPUPerConnectMs <= targetConnectMs && gs.Connect.Failed == 0
			if ns != nil && gs.CPUPerConnectMs > 0 {
				x := ns.CPUPerConnectMs / gs.CPUPerConnectMs
				ratio, ok = fmt.Sprintf("%.2f× less CPU", x), ok && x >= targetConnectRatio
			}
			met = yes(ok)
		}
		row(fmt.Sprintf("reconnect storm: %d at once, slowest round", stormConns(r)), nc.name, sCell(ns), sCell(gs), ratio,
			fmt.Sprintf("≤ %.0f s, ≤ %.1f ms, ≥ %.0f× less", targetStormSeconds, targetConnectMs, targetConnectRatio), met)
	}
	hCell := func(h *HistoryResult) string {
		if h == nil {
			return "—"
		}
		return fmt.Sprintf("%.0f req/s (p99 %.1f ms, %d errors)", h.PerSecond, h.Latency.P99, h.Errors)
	}
	for _, nc := range nodes {
		nh, gh := historyOf(r[nc.key+"-history"]), historyOf(r["go-history"])
		if nh == nil && gh == nil {
			continue
		}
		hRatio := "—"
		if nh != nil && gh != nil && nh.PerSecond > 0 {
			hRatio = fmt.Sprintf("%.2f×", gh.PerSecond/nh.PerSecond)
		}
		row("REST history reads (limit=100)", nc.name, hCell(nh), hCell(gh), hRatio, "—", "—")
	}
	for _, server := range tableServers {
		for _, scenario := range tableScenarios {
			key := server + "-" + scenario
			rep := r[key]
			if rep == nil {
				continue
			}
			if rep.Error != "" {
				fmt.Fprintf(w, "\n%s ended with an error: %s\n", key, rep.Error)
			}
			if n := contendedSteps(rep); n > 0 {
				fmt.Fprintf(w, "\n%s: %d measured windows were CONTENDED (other programs on the pinned cores); rerun on a quiet machine\n", key, n)
			}
			if n := saturatedSteps(rep); n > 0 {
				fmt.Fprintf(w, "\n%s: the generator was saturated in %d measured windows: those figures are the generator's\n", key, n)
			}
		}
	}
	return nil
}

func idlePoint(rep *Report, conns int) *IdlePoint {
	if rep == nil {
		return nil
	}
	for i := range rep.IdlePoints {
		if rep.IdlePoints[i].Conns == conns {
			return &rep.IdlePoints[i]
		}
	}
	return nil
}

func rssOf(p *IdlePoint) float64 {
	if p == nil {
		return 0
	}
	return float64(p.RSSBytes)
}

func idleCell(p *IdlePoint, rep *Report) string {
	switch {
	case rep == nil:
		return "—"
	case p == nil:
		return "not measured"
	}
	return fmt.Sprintf("%s (%.1f KiB per connection)", mib(p.RSSBytes, true), p.PerConnKiB)
}

func best(rep *Report) *StepResult {
	if rep == nil {
		return nil
	}
	return rep.Best
}

func stepAt(rep *Report, roomRate float64) *StepResult {
	if rep == nil {
		return nil
	}
	for i := range rep.Steps {
		if rep.Steps[i].RoomRate == roomRate {
			return &rep.Steps[i]
		}
	}
	return nil
}

func historyOf(rep *Report) *HistoryResult {
	if rep == nil {
		return nil
	}
	return rep.History
}

func stepCell(s *StepResult, rep *Report) string {
	if rep == nil {
		return "—"
	}
	if s == nil {
		return "no step passed"
	}
	return fmt.Sprintf("%.0f/s (p99 %.1f ms, CPU %.0f%%)", s.DeliveriesPerSec, s.Latency.P99, 100*s.ServerCPU)
}

// slowestStorm is the storm round that took longest (nil: none measured).
func slowestStorm(rep *Report) *StormRound {
	if rep == nil {
		return nil
	}
	var worst *StormRound
	for i := range rep.StormRounds {
		if s := &rep.StormRounds[i]; worst == nil || s.Seconds > worst.Seconds {
			worst = s
		}
	}
	return worst
}

func stormConns(r results) int {
	for _, rep := range r {
		if rep.Storm != nil {
			return rep.Storm.Conns
		}
	}
	return 0
}

func mib(v int64, ok bool) string {
	if !ok {
		return "—"
	}
	return fmt.Sprintf("%.0f MiB", float64(v)/(1<<20))
}

func ratioCell(a, b float64, ok bool) string {
	if !ok || b == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

func yes(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}

func contendedSteps(rep *Report) int {
	n := 0
	for _, s := range rep.Steps {
		if s.Contended {
			n++
		}
	}
	if rep.History != nil && rep.History.Contended {
		n++
	}
	for _, r := range rep.StormRounds {
		if r.Window.Contended {
			n++
		}
	}
	return n
}

func saturatedSteps(rep *Report) int {
	n := 0
	for _, s := range rep.Steps {
		if s.GenSaturated {
			n++
		}
	}
	return n
}

// lastFailure names the step a scenario stopped at.
func lastFailure(rep *Report) string {
	for i := len(rep.Steps) - 1; i >= 0; i-- {
		if s := rep.Steps[i]; !s.Pass {
			return fmt.Sprintf("failed at %.0f msg/s per room (%s)", s.RoomRate, s.Why)
		}
	}
	if rep.Error != "" {
		return "run ended: " + rep.Error
	}
	return "no such step"
}
