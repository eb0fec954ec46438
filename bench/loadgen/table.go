package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
)

// Targets of the benchmark issue, as ratios against Node in the same run.
const (
	targetFanoutRatio  = 3.0
	targetBigRoomRatio = 2.0
	targetP99Ratio     = 1.0 / 3
	targetIdleKiB      = 32.0
	targetIdleConns    = 5000
	target10kConns     = 10000
	target10kRSS       = 320 << 20
)

// results are the reports of one run.sh directory: <server>-<scenario>.json.
type results map[string]*Report

func loadResults(dir string) (results, error) {
	r := results{}
	for _, server := range []string{"node", "go"} {
		for _, scenario := range []string{"idle", "fanout", "bigroom", "history"} {
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

// printTable compares Node and Go in a markdown table with the targets.
func printTable(w io.Writer, dir string) error {
	if dir == "" {
		return fmt.Errorf("table: -dir is required")
	}
	r, err := loadResults(dir)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "| measure | Node | Go | Go vs Node | target | met |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	row := func(name, node, goV, ratio, target, met string) {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", name, node, goV, ratio, target, met)
	}
	for _, sc := range []struct {
		key, name string
		target    float64
	}{
		{"fanout", "fan-out 50×20: highest sustainable deliveries/s", targetFanoutRatio},
		{"bigroom", "big room 1×500: highest sustainable deliveries/s", targetBigRoomRatio},
	} {
		n, g := best(r["node-"+sc.key]), best(r["go-"+sc.key])
		ratio, met := "—", "—"
		if n != nil && g != nil && n.DeliveriesPerSec > 0 {
			x := g.DeliveriesPerSec / n.DeliveriesPerSec
			ratio, met = fmt.Sprintf("%.2f×", x), yes(x >= sc.target)
		}
		row(sc.name, stepCell(n, r["node-"+sc.key]), stepCell(g, r["go-"+sc.key]), ratio, fmt.Sprintf("≥ %.0f×", sc.target), met)
	}
	if n := best(r["node-fanout"]); n != nil {
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
		row(fmt.Sprintf("fan-out p99 at Node's best rate (%.0f msg/s per room)", n.RoomRate), fmt.Sprintf("%.1f ms", n.Latency.P99), goCell, ratio, "≤ ⅓", met)
	}
	idleKiB := func(rep *Report, conns int) (float64, int64, bool) {
		if rep == nil {
			return 0, 0, false
		}
		for _, p := range rep.IdlePoints {
			if p.Conns == conns {
				return p.PerConnKiB, p.RSSBytes, true
			}
		}
		return 0, 0, false
	}
	nk, _, nok := idleKiB(r["node-idle"], targetIdleConns)
	gk, _, gok := idleKiB(r["go-idle"], targetIdleConns)
	row(fmt.Sprintf("memory per idle connection at %d", targetIdleConns), kib(nk, nok), kib(gk, gok), ratioCell(gk, nk, gok && nok),
		fmt.Sprintf("≤ %.0f KiB", targetIdleKiB), metIf(gok, gk <= targetIdleKiB))
	_, nr, nok := idleKiB(r["node-idle"], target10kConns)
	_, gr, gok := idleKiB(r["go-idle"], target10kConns)
	row(fmt.Sprintf("RSS with %d idle connections", target10kConns), mib(nr, nok), mib(gr, gok), ratioCell(float64(gr), float64(nr), gok && nok),
		"< 320 MB", metIf(gok, gr < target10kRSS))
	nh, gh := historyOf(r["node-history"]), historyOf(r["go-history"])
	hCell := func(h *HistoryResult) string {
		if h == nil {
			return "—"
		}
		return fmt.Sprintf("%.0f req/s (p99 %.1f ms, %d errors)", h.PerSecond, h.Latency.P99, h.Errors)
	}
	hRatio := "—"
	if nh != nil && gh != nil && nh.PerSecond > 0 {
		hRatio = fmt.Sprintf("%.2f×", gh.PerSecond/nh.PerSecond)
	}
	row("REST history reads (limit=100)", hCell(nh), hCell(gh), hRatio, "—", "—")
	for _, key := range []string{"node-fanout", "go-fanout", "node-bigroom", "go-bigroom", "node-idle", "go-idle", "node-history", "go-history"} {
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
	}
	return nil
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

func kib(v float64, ok bool) string {
	if !ok {
		return "—"
	}
	return fmt.Sprintf("%.1f KiB", v)
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

func metIf(have, ok bool) string {
	if !have {
		return "—"
	}
	return yes(ok)
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
