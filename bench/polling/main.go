// Command polling measures what the web app's history poll costs the server:
// GET /api/rooms/{id}/messages with no query (the newest 100, as the Angular
// app sends it every 3 s per open chat), answered 304 when the client
// revalidates its copy (If-None-Match) and 200 when it has none. It starts the
// server binary pinned to one core (taskset -c CORE) on a fresh SQLite data
// directory, seeds a room with 100 messages over REST, and prints requests per
// second and the server's CPU time per request for each phase:
//
//	go build -o /tmp/izpochat . && taskset -c 1 go run ./bench/polling -bin /tmp/izpochat
//
// Phases: "304" (If-None-Match with the current tag), "200 kept" (no tag: the
// kept page sent whole), "200 rendered" (a second server with
// HISTORY_CACHE_ROOMS=0: every poll queries and renders). Not a timed test:
// it prints figures.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type options struct {
	bin      string
	core     string
	workers  int
	duration time.Duration
	warmup   time.Duration
	messages int
}

func main() {
	var o options
	flag.StringVar(&o.bin, "bin", "", "the server binary (go build -o BIN .)")
	flag.StringVar(&o.core, "core", "0", "the core the server runs on (taskset -c); empty: not pinned")
	flag.IntVar(&o.workers, "workers", 32, "concurrent pollers (keep-alive connections)")
	flag.DurationVar(&o.duration, "duration", 8*time.Second, "measured time per phase")
	flag.DurationVar(&o.warmup, "warmup", 2*time.Second, "unmeasured time before each phase")
	flag.IntVar(&o.messages, "messages", 100, "messages in the room")
	flag.Parse()
	if o.bin == "" {
		fmt.Fprintln(os.Stderr, "polling bench: -bin is required (go build -o /tmp/izpochat .)")
		os.Exit(2)
	}
	if err := run(context.Background(), o); err != nil {
		fmt.Fprintln(os.Stderr, "polling bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	fmt.Printf("server pinned to core %q, %d pollers, %v per phase, room of %d messages, GET /api/rooms/{id}/messages (no query)\n",
		o.core, o.workers, o.duration, o.messages)
	fmt.Printf("%-14s %12s %10s %16s %14s\n", "phase", "requests/s", "errors", "server CPU/req", "req/s per core")
	for _, cached := range []bool{true, false} {
		srv, err := startServer(o, cached)
		if err != nil {
			return err
		}
		err = measureServer(ctx, o, srv, cached)
		srv.stop()
		if err != nil {
			return err
		}
	}
	return nil
}

func measureServer(ctx context.Context, o options, srv *server, cached bool) error {
	token, path, err := seed(ctx, srv.base, o.messages)
	if err != nil {
		return err
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.workers, MaxConnsPerHost: o.workers}}
	tag, err := currentTag(ctx, client, srv.base+path, token)
	if err != nil {
		return err
	}
	phases := []struct {
		name string
		inm  string
		want int
	}{{"304", tag, http.StatusNotModified}, {"200 kept", "", http.StatusOK}}
	if !cached {
		phases = phases[1:]
		phases[0].name = "200 rendered"
	}
	for _, ph := range phases {
		poll(ctx, client, srv.base+path, token, ph.inm, ph.want, o.workers, o.warmup)
		cpu0 := srv.cpu()
		start := time.Now()
		n, errs := poll(ctx, client, srv.base+path, token, ph.inm, ph.want, o.workers, o.duration)
		took := time.Since(start)
		cpu := srv.cpu() - cpu0
		perReq := cpu / time.Duration(max(n, 1))
		fmt.Printf("%-14s %12.0f %10d %16v %14.0f\n", ph.name, float64(n)/took.Seconds(), errs,
			perReq.Round(100*time.Nanosecond), float64(n)/cpu.Seconds())
	}
	return nil
}

// poll runs workers that GET url until d has passed; it returns the answers
// with status want and the others.
func poll(ctx context.Context, client *http.Client, url, token, inm string, want, workers int, d time.Duration) (ok, bad uint64) {
	var okN, badN atomic.Uint64
	stop := time.Now().Add(d)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			req.Header.Set("Authorization", "Bearer "+token)
			if inm != "" {
				req.Header.Set("If-None-Match", inm)
			}
			for time.Now().Before(stop) {
				res, err := client.Do(req)
				if err != nil {
					badN.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode == want {
					okN.Add(1)
				} else {
					badN.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return okN.Load(), badN.Load()
}

func currentTag(ctx context.Context, client *http.Client, url, token string) (string, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	if res.StatusCode != http.StatusOK || res.Header.Get("ETag") == "" {
		return "", fmt.Errorf("first read: status %d, ETag %q", res.StatusCode, res.Header.Get("ETag"))
	}
	return res.Header.Get("ETag"), nil
}

// seed registers a user, creates a room and posts messages over REST.
func seed(ctx context.Context, base string, messages int) (token, path string, err error) {
	var reg struct {
		Token string `json:"access_token"`
	}
	if err := call(ctx, base, "POST", "/api/users/register", "", map[string]any{
		"username": "poller", "email": "poller@example.com", "password": "secret-poller"}, &reg); err != nil {
		return "", "", err
	}
	var room struct {
		ID int64 `json:"id"`
	}
	if err := call(ctx, base, "POST", "/api/rooms", reg.Token, map[string]any{"name": "polled", "is_private": false}, &room); err != nil {
		return "", "", err
	}
	path = "/api/rooms/" + strconv.FormatInt(room.ID, 10) + "/messages"
	for i := range messages {
		if err := call(ctx, base, "POST", path, reg.Token, map[string]any{"content": fmt.Sprintf("polled message %d, about as long as a chat line is", i)}, nil); err != nil {
			return "", "", err
		}
	}
	return reg.Token, path, nil
}

func call(ctx context.Context, base, method, path, token string, body, out any) error {
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequestWithContext(ctx, method, base+path, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, data)
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

type server struct {
	base string
	cmd  *exec.Cmd
	dir  string
}

func startServer(o options, cached bool) (*server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dir, err := os.MkdirTemp("", "polling-bench-")
	if err != nil {
		return nil, err
	}
	args := []string{o.bin}
	if o.core != "" {
		args = append([]string{"taskset", "-c", o.core}, args...)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "DATA_DIR=" + dir, "PORT=" + strconv.Itoa(port),
		"JWT_SECRET_KEY=polling-bench-secret", "LOG_LEVEL=warn", "POST_RATE_PER_USER=1000000/1s",
		"INSTANCE_ADDR=127.0.0.1:" + strconv.Itoa(port)}
	if !cached {
		cmd.Env = append(cmd.Env, "HISTORY_CACHE_ROOMS=0")
	}
	if addr := os.Getenv("BENCH_PPROF_ADDR"); addr != "" {
		// A binary built as bench/profile.sh builds it serves pprof there.
		cmd.Env = append(cmd.Env, "BENCH_PPROF_ADDR="+addr)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", o.bin, err)
	}
	s := &server{base: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd, dir: dir}
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if res, err := http.Get(s.base + "/health"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return s, nil
			}
		}
	}
	s.stop()
	return nil, fmt.Errorf("server on %s not healthy after 20 s", s.base)
}

func (s *server) stop() {
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	_ = os.RemoveAll(s.dir)
}

// cpu is the server's user+system CPU time so far (/proc/PID/stat; taskset
// execs the server in place, so the PID is the server's).
func (s *server) cpu() time.Duration {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// Fields after the command name (which may hold spaces) in parentheses.
	f := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+2:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	const ticksPerSecond = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / ticksPerSecond
}
