// Command loadgen drives an IzpoChat-compatible server (ours or the Node
// reference) over Engine.IO v4 / Socket.IO v5 on bare WebSockets and reports
// delivery rate, loss, duplicates, latency and the server's CPU and memory.
// The traffic mode also runs over long-polling (-transport polling).
//
// Modes:
//
//	traffic  N connections in rooms of M, S senders per room, per-room rate stepped
//	idle     connections opened in steps, server RSS per idle connection
//	history  GET /api/rooms/{id}/messages?limit=L from W workers
//	table    compare the JSON reports of a bench/run.sh results directory
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

type options struct {
	mode, url, label, out string
	watch                 watch
	traffic               trafficConfig
	rates                 string
	idle                  idleConfig
	idleCounts            string
	storm                 stormConfig
	history               historyConfig
	tableDir              string
	cpuProfile            string
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.mode, "mode", "traffic", "traffic | idle | storm | history | table")
	fs.StringVar(&o.url, "url", "http://127.0.0.1:5000", "server base URL")
	fs.StringVar(&o.label, "label", "server", "name of the server in reports")
	fs.StringVar(&o.out, "out", "", "write the JSON report here (default: stdout after the summary)")
	fs.IntVar(&o.watch.pid, "server-pid", 0, "server process id, for its CPU and RSS from /proc")
	fs.IntVar(&o.watch.serverCore, "server-core", -1, "core the server is pinned to: report what else ran there (-1: don't)")
	fs.IntVar(&o.watch.genCore, "gen-core", -1, "core this generator is pinned to: report what else ran there (-1: don't)")

	fs.IntVar(&o.traffic.Conns, "conns", 1000, "traffic: connections")
	fs.IntVar(&o.traffic.RoomSize, "room-size", 20, "connections per room (rooms = conns / room-size)")
	fs.IntVar(&o.traffic.Senders, "senders", 20, "traffic: sending connections per room")
	fs.StringVar(&o.rates, "rates", "10,20,40", "traffic: messages/s per room, one step each (comma list)")
	fs.IntVar(&o.traffic.Payload, "payload", 64, "traffic: message content bytes")
	fs.BoolVar(&o.traffic.InStep, "in-step", false, "traffic: all rooms send at the same instants (bursts) instead of spread over the interval")
	fs.DurationVar(&o.traffic.Warmup, "warmup", 2*time.Second, "traffic/history: warmup before each measured window")
	fs.DurationVar(&o.traffic.Duration, "duration", 8*time.Second, "traffic/history: measured window per step")
	fs.DurationVar(&o.traffic.Drain, "drain", 2*time.Second, "traffic: longest wait for in-flight deliveries after a step")
	fs.DurationVar(&o.traffic.P99Limit, "p99", 100*time.Millisecond, "traffic: a step fails above this p99")
	fs.BoolVar(&o.traffic.StopOnFail, "stop-on-fail", true, "traffic: stop at the first failing step")
	fs.BoolVar(&o.traffic.RetryFailed, "retry", true, "traffic: run a failing step once more before calling it failed")
	users := fs.Int("users", 50, "distinct accounts; connection i uses account i mod users")
	conc := fs.Int("concurrency", 64, "connections opened (and rooms joined) at a time")
	fs.StringVar(&o.traffic.Transport, "transport", "websocket", "traffic: websocket, or polling (Engine.IO long-polling, never upgraded)")
	reader := fs.String("reader", "epoll", "how connections are read: epoll (one loop for all) or goroutine (one each)")

	fs.StringVar(&o.idleCounts, "idle", "1000,5000,10000", "idle: cumulative connection counts")
	fs.DurationVar(&o.idle.Settle, "settle", 3*time.Second, "idle: wait before reading RSS")
	fs.DurationVar(&o.idle.Hold, "hold", 0, "idle: keep the connections open this long after the last reading")

	fs.IntVar(&o.storm.Burst, "burst", 0, "storm: reconnects in flight at once (0: every connection at once)")
	fs.IntVar(&o.storm.Rounds, "rounds", 3, "storm: measured storms, each after all connections dropped at once")

	fs.IntVar(&o.history.Workers, "workers", 16, "history: concurrent HTTP workers")
	fs.IntVar(&o.history.Seed, "seed", 200, "history: messages stored before reading")
	fs.IntVar(&o.history.Limit, "limit", 100, "history: limit query parameter")

	fs.StringVar(&o.tableDir, "dir", "", "table: results directory of bench/run.sh")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write the generator's own CPU profile here (is it the bottleneck?)")
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	var err error
	if o.traffic.Rates, err = parseFloats(o.rates); err != nil {
		return options{}, fmt.Errorf("-rates: %w", err)
	}
	if o.idle.Counts, err = parseInts(o.idleCounts); err != nil {
		return options{}, fmt.Errorf("-idle: %w", err)
	}
	o.traffic.Users, o.idle.Users = *users, *users
	o.traffic.Concurrency, o.idle.Concurrency, o.history.Concurrency = *conc, *conc, *conc
	o.idle.RoomSize = o.traffic.RoomSize
	o.storm.Conns, o.storm.RoomSize, o.storm.Users = o.traffic.Conns, o.traffic.RoomSize, *users
	o.storm.Concurrency, o.storm.Settle = *conc, o.idle.Settle
	if *reader != "epoll" && *reader != "goroutine" {
		return options{}, fmt.Errorf("-reader must be epoll or goroutine")
	}
	o.traffic.Reader, o.idle.Reader, o.storm.Reader = *reader, *reader, *reader
	if o.traffic.Transport != "websocket" && o.traffic.Transport != "polling" {
		return options{}, fmt.Errorf("-transport must be websocket or polling")
	}
	o.history.Duration, o.history.Warmup = o.traffic.Duration, o.traffic.Warmup
	if *users < 1 || *conc < 1 {
		return options{}, fmt.Errorf("-users and -concurrency must be positive")
	}
	return o, nil
}

func run(args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	if o.mode == "table" {
		return printTable(stdout, o.tableDir)
	}
	raiseFileLimit()
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return fmt.Errorf("cpuprofile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("cpuprofile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	log := slog.New(slog.NewTextHandler(stderr, nil)).With("label", o.label, "mode", o.mode)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	rep := &Report{Label: o.label, Mode: o.mode, URL: o.url, ServerPID: o.watch.pid, StartedAt: time.Now().UTC()}
	cpu0 := selfCPU()
	switch o.mode {
	case "traffic":
		err = runTraffic(ctx, o.url, o.watch, o.traffic, log, rep)
	case "idle":
		err = runIdle(ctx, o.url, o.watch, o.idle, log, rep)
	case "storm":
		err = runStorm(ctx, o.url, o.watch, o.storm, log, rep)
	case "history":
		err = runHistory(ctx, o.url, o.watch, o.history, log, rep)
	default:
		err = fmt.Errorf("unknown -mode %q", o.mode)
	}
	rep.Seconds = time.Since(rep.StartedAt).Seconds()
	rep.GeneratorCPUSeconds = (selfCPU() - cpu0).Seconds()
	if err != nil {
		rep.Error = err.Error()
	}
	printSummary(stdout, rep)
	if werr := writeJSON(o.out, rep); werr != nil {
		return werr
	}
	return err
}

// raiseFileLimit lifts the soft open-file limit to the hard one: every
// connection is a descriptor.
func raiseFileLimit() {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err == nil && l.Cur < l.Max {
		l.Cur = l.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
	}
}

func parseFloats(s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		v, err := strconv.ParseFloat(f, 64)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("%q is not a positive number", f)
		}
		out = append(out, v)
	}
	return out, nil
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		v, err := strconv.Atoi(f)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("%q is not a positive integer", f)
		}
		out = append(out, v)
	}
	return out, nil
}
