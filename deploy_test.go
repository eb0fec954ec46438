package main

import (
	"bufio"
	"bytes"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	ws "github.com/gorilla/websocket"

	"github.com/izpochat/server/config"
	"github.com/izpochat/server/internal/testkit"
)

func TestBuildScriptSyntax(t *testing.T) {
	if out, err := exec.Command("bash", "-n", "build.sh").CombinedOutput(); err != nil {
		t.Fatalf("bash -n build.sh: %v\n%s", err, out)
	}
	if st, err := os.Stat("build.sh"); err != nil || st.Mode()&0o111 == 0 {
		t.Fatalf("build.sh must be executable (Render runs ./build.sh): %v", err)
	}
}

// TestBuiltBinary builds the server exactly as Render does (build.sh) once, then
// checks the binary and runs it as a real process.
func TestBuiltBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	bin := filepath.Join(t.TempDir(), "izpochat")
	build := exec.Command("./build.sh")
	build.Env = append(os.Environ(), "OUT="+bin, "RENDER_GIT_COMMIT=abc1234def5678")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build.sh: %v\n%s", err, out)
	}

	t.Run("static and stamped", func(t *testing.T) { checkStaticBinary(t, bin) })
	t.Run("graceful restart", func(t *testing.T) { checkGracefulRestart(t, bin) })
}

func checkStaticBinary(t *testing.T, bin string) {
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatalf("not an ELF binary: %v", err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("binary has a dynamic loader (PT_INTERP): not static")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("binary links %v: not static", libs)
	}

	info, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Fatalf("go version -m: %v", err)
	}
	// -ldflags (and so main.version) is not recorded under -trimpath; --version below checks it.
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath=true"} {
		if !bytes.Contains(info, []byte(want)) {
			t.Errorf("build info lacks %q:\n%s", want, info)
		}
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil || strings.TrimSpace(string(out)) != "abc1234" {
		t.Errorf("--version = %q (%v), want abc1234 (RENDER_GIT_COMMIT, short)", out, err)
	}
}

// startBinary runs the built server as a child process (testkit.StartProcess).
func startBinary(t *testing.T, bin string, env map[string]string) *testkit.Process {
	t.Helper()
	return testkit.StartProcess(t, bin, "server", env)
}

// dialSocketIO connects the test kit's client to "/" over websocket with token.
func dialSocketIO(t *testing.T, base, token string) *testkit.Client {
	t.Helper()
	return testkit.MustDial(t, base, testkit.DialOptions{Auth: map[string]string{"token": token}, Record: true})
}

// howClosed says how the server ended c's session (c.Closed is closed): a
// Socket.IO DISCONNECT ("41"), an Engine.IO CLOSE ("1"), a close frame, or a
// cut connection.
func howClosed(c *testkit.Client) string {
	err := c.CloseErr()
	if n, _ := c.Count("disconnect"); n > 0 {
		return "socket.io disconnect packet"
	}
	if c.EngineClosed() {
		return "engine.io close packet"
	}
	// 1006 is gorilla's name for a connection that ended without a close frame.
	var ce *ws.CloseError
	if errors.As(err, &ce) && ce.Code != ws.CloseAbnormalClosure {
		return fmt.Sprintf("close frame %d", ce.Code)
	}
	return "connection cut: " + err.Error()
}

func checkGracefulRestart(t *testing.T, bin string) {
	env := map[string]string{"SHUTDOWN_TIMEOUT": "5", "LOG_FORMAT": "json", "DATA_DIR": t.TempDir()}
	p := startBinary(t, bin, env)

	code, reg := postJSON(t, p.Base+"/api/users/register", "", map[string]any{
		"username": "drainer", "email": "drainer@example.com", "password": "secret123"})
	if code != http.StatusCreated {
		t.Fatalf("register: %d %v", code, reg)
	}
	token, _ := reg["access_token"].(string)

	var client *testkit.Client
	var poll <-chan testkit.PollAnswer // a polling client's GET, waiting for the server
	resp, err := http.Get(p.Base + "/socket.io/?EIO=4&transport=polling")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		t.Log("Socket.IO is not mounted in this build (/socket.io/ answers 404): checking HTTP draining only")
	} else {
		client = dialSocketIO(t, p.Base, token)
		polling := testkit.OpenPolling(t, p.Base, testkit.PollingOptions{})
		if answer, _ := polling.Connect(map[string]string{"token": token}); !strings.HasPrefix(answer, "40{") {
			t.Fatalf("polling CONNECT answered %q", answer)
		}
		poll = polling.Pending()
	}

	// An in-flight request: headers and half the body sent before the signal,
	// the rest after it.
	// Raw bytes (testkit.SendRaw): no client stops half-way through a body.
	body := `{"username":"inflight","email":"inflight@example.com","password":"secret123"}`
	conn := testkit.SendRaw(t, p.Base, fmt.Sprintf("POST /api/users/register HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		len(body), body[:20]))
	time.Sleep(300 * time.Millisecond) // the handler is now waiting for the body

	signalled := time.Now()
	if err := p.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}

	// New connections are refused while the old ones drain.
	refused := false
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		c, err := net.DialTimeout("tcp", strings.TrimPrefix(p.Base, "http://"), 200*time.Millisecond)
		if err != nil {
			refused = true
			break
		}
		c.Close()
	}
	if !refused {
		t.Error("the server still accepts connections after SIGTERM")
	}

	if _, err := io.WriteString(conn, body[20:]); err != nil {
		t.Fatalf("finishing the in-flight request: %v", err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	inflight, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("in-flight request got no answer: %v\n%s", err, p.Logs)
	}
	inflight.Body.Close()
	if inflight.StatusCode != http.StatusCreated {
		t.Errorf("in-flight request answered %d, want 201", inflight.StatusCode)
	}

	if client != nil {
		select {
		case <-client.Closed:
			how := howClosed(client)
			// socket.io-client reconnects on its own after a closed or cut
			// transport, but NOT after a Socket.IO DISCONNECT packet ("io server
			// disconnect"): a restart must close the transport, never send 41.
			t.Logf("socket client: %s", how)
			if how == "socket.io disconnect packet" {
				t.Error("the server sent a Socket.IO DISCONNECT: socket.io-client will not reconnect after it")
			}
			// A proper close frame (not a cut connection, which clients see as
			// 1006): 1012 service restart.
			if how != "close frame 1012" {
				t.Errorf("websocket client: %s, want close frame 1012 (service restart)", how)
			}
		case <-time.After(6 * time.Second):
			t.Error("socket client was not disconnected")
		}
		select {
		case a := <-poll:
			t.Logf("pending long-poll: %d %q %v after %v", a.Status, a.Body, a.Err, a.At.Sub(signalled))
			if took := a.At.Sub(signalled); took > 2*time.Second {
				t.Errorf("pending long-poll answered %v after SIGTERM, want promptly", took)
			}
			if strings.Contains(a.Body, "41") {
				t.Errorf("pending long-poll got a Socket.IO DISCONNECT %q: socket.io-client will not reconnect", a.Body)
			}
		case <-time.After(6 * time.Second):
			t.Error("pending long-poll GET was not answered")
		}
	}

	select {
	case <-p.Exited:
		if err := p.Err; err != nil {
			t.Errorf("exit: %v, want status 0\n%s", err, p.Logs)
		}
		if took := time.Since(signalled); took > 6*time.Second {
			t.Errorf("exit took %v, longer than SHUTDOWN_TIMEOUT", took)
		}
	case <-time.After(8 * time.Second):
		t.Fatalf("process still running 8s after SIGTERM\n%s", p.Logs)
	}
	if !strings.Contains(p.Logs.String(), `"msg":"stopped"`) {
		t.Errorf("no JSON \"stopped\" log line:\n%s", p.Logs)
	}

	// The next instance (same data, same development secret) sees what the
	// in-flight request wrote, and the old token still works.
	next := startBinary(t, bin, env)
	if code, login := postJSON(t, next.Base+"/api/users/login", "", map[string]string{
		"email": "inflight@example.com", "password": "secret123"}); code != http.StatusOK {
		t.Errorf("the in-flight registration was not kept across the restart: %d %v", code, login)
	}
	req, _ := http.NewRequest(http.MethodGet, next.Base+"/api/users/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	if code, me := do(t, req); code != http.StatusOK || me["username"] != "drainer" {
		t.Errorf("token from before the restart: %d %v", code, me)
	}
}

// Request logs are JSON in production and text in development (cfg.LogJSON).
func TestLoggerFormat(t *testing.T) {
	var js, text bytes.Buffer
	newLogger(config.Config{LogJSON: true}, &js).Info("http request", "request_id", "r1")
	newLogger(config.Config{LogJSON: false}, &text).Info("http request", "request_id", "r1")
	var line map[string]any
	if err := json.Unmarshal(js.Bytes(), &line); err != nil || line["request_id"] != "r1" || line["msg"] != "http request" {
		t.Errorf("JSON log line %q (%v)", js.String(), err)
	}
	if !strings.Contains(text.String(), "level=INFO") || !strings.Contains(text.String(), "request_id=r1") || json.Valid(text.Bytes()) {
		t.Errorf("text log line %q", text.String())
	}
	var quiet bytes.Buffer
	newLogger(config.Config{LogLevel: slog.LevelWarn}, &quiet).Info("dropped")
	if quiet.Len() != 0 {
		t.Errorf("LOG_LEVEL=warn still logs info: %q", quiet.String())
	}
}
