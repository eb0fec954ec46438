package testkit

import (
	"fmt"
	"net"
	"os/exec"
	"testing"
	"time"
)

// Redis is a redis-server a test owns (no persistence, loopback only), so it
// can be stopped and restarted without touching the machine's shared one.
type Redis struct {
	t    testing.TB
	Port int
	cmd  *exec.Cmd
}

// StartRedis starts a private redis-server, stopped when the test ends; the
// test is skipped where redis-server is not installed.
func StartRedis(t testing.TB) *Redis {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server not installed")
	}
	r := &Redis{t: t, Port: FreePort(t)}
	r.Start()
	t.Cleanup(r.Stop)
	return r
}

// URL is the server's redis:// URL (database 0).
func (r *Redis) URL() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", r.Port) }

// Start starts the server (again, on the same port) and waits until it accepts connections.
func (r *Redis) Start() {
	r.t.Helper()
	r.cmd = exec.Command("redis-server", "--port", fmt.Sprint(r.Port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no")
	if err := r.cmd.Start(); err != nil {
		r.t.Fatalf("start redis-server: %v", err)
	}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", r.Port)); err == nil {
			_ = c.Close()
			return
		}
	}
	r.t.Fatalf("redis-server on port %d did not start", r.Port)
}

// Stop kills the server (as a crash would) and waits for it to exit.
func (r *Redis) Stop() {
	if r.cmd == nil || r.cmd.Process == nil {
		return
	}
	_ = r.cmd.Process.Kill()
	_ = r.cmd.Wait()
	r.cmd = nil
}

// Restart stops the server and starts it again on the same port, empty.
func (r *Redis) Restart() {
	r.Stop()
	r.Start()
}
