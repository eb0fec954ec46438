package testkit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// BuildServer builds the server binary from the module's main package (dir,
// e.g. "." from the root package's tests) into a temporary directory.
func BuildServer(t testing.TB, dir string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "izpochat")
	if out, err := exec.Command("go", "build", "-o", bin, dir).CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// Process is the server binary running as a child process on a loopback port.
type Process struct {
	Name string
	Base string // http://127.0.0.1:port
	Cmd  *exec.Cmd
	Logs *LockedBuffer
	// Exited is closed when the process has exited; Err is its exit then.
	Exited chan struct{}
	Err    error
}

// StartProcess runs bin with a fresh PORT (unless env names one), DATA_DIR and
// HOME, no .env file, and env on top (later entries win, so env may replace
// DATA_DIR); it waits until
// /health answers 200 and kills the process when the test ends, logging the
// tail of its output if the test failed.
func StartProcess(t testing.TB, bin, name string, env map[string]string) *Process {
	t.Helper()
	port := 0
	if v, ok := env["PORT"]; ok {
		if _, err := fmt.Sscan(v, &port); err != nil {
			t.Fatalf("StartProcess: PORT %q: %v", v, err)
		}
	} else {
		port = FreePort(t)
	}
	cmd := exec.Command(bin, "-env-file", "")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), fmt.Sprintf("PORT=%d", port), "DATA_DIR=" + t.TempDir()}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := &Process{Name: name, Base: fmt.Sprintf("http://127.0.0.1:%d", port), Cmd: cmd, Logs: &LockedBuffer{},
		Exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.Logs, p.Logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		p.Err = cmd.Wait()
		close(p.Exited)
	}()
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() {
			t.Logf("---- logs of %s ----\n%s", name, tail(p.Logs.String(), 6000))
		}
	})
	p.WaitHealth(t, http.StatusOK, "", 30*time.Second)
	return p
}

// Addr is the process's host:port.
func (p *Process) Addr() string { return p.Base[len("http://"):] }

// Kill ends the process with SIGKILL (no shutdown, as in a crash) and waits for it.
func (p *Process) Kill() {
	_ = p.Cmd.Process.Kill() // fails harmlessly when it already exited
	<-p.Exited
}

// WaitHealth waits until /health answers status and, unless want is "", reports
// that status in its body; it fails the test if the process exits first.
func (p *Process) WaitHealth(t testing.TB, status int, want string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for time.Now().Before(deadline) {
		if res, err := http.Get(p.Base + "/health"); err == nil {
			var body struct {
				Status string `json:"status"`
			}
			_ = json.NewDecoder(res.Body).Decode(&body)
			res.Body.Close()
			last = fmt.Sprintf("%d %q", res.StatusCode, body.Status)
			if res.StatusCode == status && (want == "" || body.Status == want) {
				return
			}
		}
		select {
		case <-p.Exited:
			t.Fatalf("%s exited before serving: %v\n%s", p.Name, p.Err, tail(p.Logs.String(), 6000))
		default:
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s /health is %s after %v, want %d %q\n%s", p.Name, last, timeout, status, want, tail(p.Logs.String(), 6000))
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// LockedBuffer is a bytes.Buffer safe for a process's output and a test's reads at once.
type LockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *LockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *LockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
