package main

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/izpochat/server/internal/testkit"
)

// tightEdge is an environment whose edge timeouts are far shorter than the
// Engine.IO ping interval, so a deadline put on a long-poll or a websocket by
// mistake would cut it.
func tightEdge() map[string]string {
	return map[string]string{
		"HTTP_BODY_TIMEOUT": "1s", "HTTP_WRITE_TIMEOUT": "1s",
		"SOCKETIO_PING_INTERVAL": "3s", "SOCKETIO_PING_TIMEOUT": "5s",
		"UPLOAD_MIN_RATE": "1000", "UPLOAD_RATE_WINDOW": "1s",
	}
}

func registerToken(t *testing.T, base, name string) string {
	t.Helper()
	status, reg := postJSON(t, base+"/api/users/register", "", map[string]string{
		"username": name, "email": name + "@example.com", "password": "secret1"})
	if status != http.StatusCreated {
		t.Fatalf("register: %d %v", status, reg)
	}
	status, login := postJSON(t, base+"/api/users/login", "", map[string]string{"email": name + "@example.com", "password": "secret1"})
	if status != http.StatusOK {
		t.Fatalf("login: %d %v", status, login)
	}
	return login["access_token"].(string)
}

func pngBytes(t *testing.T, size int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, size, size))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// uploadForm is a multipart body with one file.
func uploadForm(t *testing.T, name string, content []byte) (body []byte, contentType string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(content)
	mw.Close()
	return b.Bytes(), mw.FormDataContentType()
}

// paced reads its bytes in chunks of size, one chunk every interval.
type paced struct {
	r        io.Reader
	size     int
	interval time.Duration
}

func (p *paced) Read(b []byte) (int, error) {
	time.Sleep(p.interval)
	return p.r.Read(b[:min(len(b), p.size)])
}

// Good path under tight edge timeouts: REST, a polling session that waits for
// its ping longer than every edge timeout, a websocket that lives past them,
// and an upload that is slow but keeps the minimum rate.
func TestEdgeKeepsRealClientsWorking(t *testing.T) {
	base, stop, logs := startRun(t, tightEdge())
	defer stop()
	token := registerToken(t, base, "edgy")

	t.Run("polling", func(t *testing.T) {
		// Request by request (testkit.PollingSession): the GET that waits for
		// the ping is the one an edge deadline would cut.
		s := testkit.OpenPolling(t, base, testkit.PollingOptions{})
		start := time.Now()
		if answer, _ := s.Connect(map[string]string{"token": token}); !strings.HasPrefix(answer, "40{") {
			t.Fatalf("polling CONNECT answered %q\n%s", answer, logs)
		}
		sawPing := false
		for !sawPing && time.Since(start) < 10*time.Second {
			a := s.Pending()
			var got testkit.PollAnswer
			select {
			case got = <-a:
			case <-time.After(10 * time.Second):
				t.Fatal("the long-poll GET got no answer in 10 s")
			}
			if got.Err != nil {
				t.Fatalf("long-poll GET after %v: %v", time.Since(start), got.Err)
			}
			if got.Status != http.StatusOK {
				t.Fatalf("long-poll GET: %d %q", got.Status, got.Body)
			}
			sawPing = slices.Contains(got.Packets, "2")
		}
		if !sawPing {
			t.Fatalf("no ping after %v\n%s", time.Since(start), logs)
		}
		if waited := time.Since(start); waited < 2*time.Second {
			t.Fatalf("the ping came after %v; the long-poll did not outlive the edge timeouts", waited)
		}
		if a := s.Post("3"); a.Status != http.StatusOK {
			t.Fatalf("pong: %d %q", a.Status, a.Body)
		}
	})

	t.Run("websocket", func(t *testing.T) {
		c := testkit.MustDial(t, base, testkit.DialOptions{Auth: map[string]string{"token": token}})
		start := time.Now()
		testkit.Eventually(t, 8*time.Second, "a ping over the websocket", func() bool { return c.Pings() >= 1 })
		select {
		case <-c.Closed:
			t.Fatalf("the websocket ended after %v: %v", time.Since(start), c.CloseErr())
		default:
		}
		if time.Since(start) < 2*time.Second {
			t.Fatalf("the ping came after %v; the websocket did not outlive the edge timeouts", time.Since(start))
		}
	})

	t.Run("slow upload above the minimum rate", func(t *testing.T) {
		body, ct := uploadForm(t, "picture.png", append(pngBytes(t, 8), bytes.Repeat([]byte{0}, 12<<10)...))
		// About 8 KiB/s for ~2 s: more than the 1 s window, above 1000 B/s.
		req, _ := http.NewRequest(http.MethodPost, base+"/api/upload", &paced{r: bytes.NewReader(body), size: 1024, interval: 120 * time.Millisecond})
		req.ContentLength = int64(len(body))
		req.Header.Set("Content-Type", ct)
		req.Header.Set("Authorization", "Bearer "+token)
		status, out := do(t, req)
		if status != http.StatusCreated && status != http.StatusOK {
			t.Fatalf("slow upload: %d %v", status, out)
		}
	})
}

// Attack row 5 for uploads: an upload may be slow, but one trickling below
// UPLOAD_MIN_RATE is cut within the window.
func TestEdgeUploadBelowMinimumRateIsCutOff(t *testing.T) {
	base, stop, _ := startRun(t, map[string]string{"UPLOAD_MIN_RATE": "1000", "UPLOAD_RATE_WINDOW": "2s"})
	defer stop()
	token := registerToken(t, base, "trickler")
	body, ct := uploadForm(t, "picture.png", pngBytes(t, 8))
	head := fmt.Sprintf("POST /api/upload HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n",
		strings.TrimPrefix(base, "http://"), token, ct, len(body))
	took, got := testkit.Trickle(t, base, head, body, time.Second, 10*time.Second)
	if took > 6*time.Second {
		t.Fatalf("an upload at 1 byte/s was still being read after %v (%s), want it cut within ~2s", took, got)
	}
	t.Logf("cut after %v: %s", took.Round(time.Millisecond), got)
}

// A client that stops reading an answer is cut after HTTP_WRITE_TIMEOUT; it
// used to hold its connection, goroutine and the open file for as long as it liked.
func TestEdgeReaderThatStopsIsCutOff(t *testing.T) {
	base, stop, _ := startRun(t, map[string]string{"HTTP_WRITE_TIMEOUT": "1s", "MAX_FILE_MB": "40"})
	defer stop()
	token := registerToken(t, base, "reader")
	const size = 30 << 20
	body, ct := uploadForm(t, "big.txt", bytes.Repeat([]byte("a"), size))
	req, _ := http.NewRequest(http.MethodPost, base+"/api/uploads", bytes.NewReader(body))
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Authorization", "Bearer "+token)
	status, up := do(t, req)
	fileURL, _ := up["file_url"].(string)
	if status != http.StatusCreated || !strings.HasPrefix(fileURL, "/uploads/") {
		t.Fatalf("upload: %d %v", status, up)
	}

	// A reader that stops: raw HTTP, through the kit (testkit.SendRaw).
	conn := testkit.SendRaw(t, base, fmt.Sprintf("GET %s HTTP/1.1\r\nHost: x\r\n\r\n", fileURL))
	time.Sleep(3 * time.Second) // reads nothing for three write timeouts
	// The socket buffers take a few MiB; the rest is never written.
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	got, _ := io.Copy(io.Discard, conn)
	if got >= size {
		t.Fatalf("a reader that stopped for 3 s still got the whole %d MiB answer", size>>20)
	}
	t.Logf("cut after %d of %d bytes", got, size)
}
