package main

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestHistogramQuantilesWithinResolution(t *testing.T) {
	var h histogram
	for i := 1; i <= 10000; i++ {
		h.record(time.Duration(i) * time.Microsecond)
	}
	for _, tc := range []struct {
		q    float64
		want float64 // µs
	}{{0.5, 5000}, {0.9, 9000}, {0.99, 9900}} {
		got := float64(h.quantile(tc.q))
		if got < tc.want || got > tc.want*1.04 {
			t.Errorf("quantile(%v) = %v µs, want %v µs within 4%%", tc.q, got, tc.want)
		}
	}
	if h.max != 10000 || h.total != 10000 {
		t.Errorf("max %d total %d, want 10000 and 10000", h.max, h.total)
	}
}

func TestHistogramBucketsAreOrderedAndContainTheirValues(t *testing.T) {
	prev := -1
	for _, us := range []uint64{0, 1, 63, 64, 65, 100, 1000, 123456, 1 << 30, 1<<62 + 12345} {
		b := bucketOf(us)
		if b < prev {
			t.Fatalf("bucketOf(%d) = %d, not after %d", us, b, prev)
		}
		if b >= histBuckets {
			t.Fatalf("bucketOf(%d) = %d out of range", us, b)
		}
		if up := bucketUpper(b); up < us {
			t.Fatalf("bucketUpper(%d) = %d < value %d", b, up, us)
		}
		if b > 0 && bucketUpper(b-1) >= us {
			t.Fatalf("value %d also fits bucket %d", us, b-1)
		}
		prev = b
	}
}

func TestHistogramNegativeAndEmpty(t *testing.T) {
	var h histogram
	if h.quantile(0.99) != 0 {
		t.Fatal("empty histogram must report 0")
	}
	h.record(-time.Second) // clock skew must not wrap around
	if h.max != 0 || h.counts[0] != 1 {
		t.Fatalf("negative latency recorded as max %d", h.max)
	}
}

func TestMarkerRoundTripInsideAPacket(t *testing.T) {
	m := marker{step: 7, phase: phaseMeasure, sender: 1234, seq: 98765, sentNS: 1764000000123456789}
	content := appendContent(nil, m, 64)
	if len(content) != 64 {
		t.Fatalf("content is %d bytes, want 64", len(content))
	}
	packet := `42["new_message",{"id":5,"content":"` + string(content) + `","user_id":3,"type":"message"}]`
	got, err := parseMarker([]byte(packet))
	if err != nil {
		t.Fatal(err)
	}
	if got != m {
		t.Fatalf("parsed %+v, want %+v", got, m)
	}
}

func TestMarkerLongerThanPayloadIsNotTruncated(t *testing.T) {
	m := marker{step: 1, phase: phaseWarmup, sender: 1, seq: 2, sentNS: 3}
	if got := string(appendContent(nil, m, 4)); got != "B1.w.1.2.3." {
		t.Fatalf("content %q", got)
	}
}

func TestParseMarkerRejectsForeignContent(t *testing.T) {
	for _, p := range []string{
		`42["new_message",{"content":"hello"}]`,
		`42["new_message",{"content":"B1.m.2"}]`,
		`42["new_message",{"content":"Bx.m.1.2.3."}]`,
		`42["new_message",{"content":"B1.m.1.2.3"}]`,
		`42["new_message",{"content":"B1.mm1.2.3."}]`,
		`42["new_message",{}]`,
	} {
		if _, err := parseMarker([]byte(p)); err == nil {
			t.Errorf("parseMarker(%s) accepted", p)
		}
	}
}

// newMessageFrame is a new_message frame carrying a marker sent now.
func newMessageFrame(step int, phase byte, sender, seq int) []byte {
	c := appendContent(nil, marker{step: step, phase: phase, sender: sender, seq: seq, sentNS: time.Now().UnixNano()}, 64)
	return []byte(`42["new_message",{"content":"` + string(c) + `"}]`)
}

func TestReceiverCountsUniqueDuplicateStaleForeign(t *testing.T) {
	run := &runState{senderRoom: []int{0, 0, 1}}
	run.step.Store(2)
	shared := &sharedHist{}
	r := newReceiver(0, shared)
	pkt := newMessageFrame
	r.deliver(pkt(2, phaseMeasure, 0, 0), run)
	r.deliver(pkt(2, phaseMeasure, 0, 500), run) // grows the bitset
	r.deliver(pkt(2, phaseMeasure, 1, 0), run)
	r.deliver(pkt(2, phaseMeasure, 0, 0), run) // duplicate
	r.deliver(pkt(1, phaseMeasure, 0, 1), run) // earlier step
	r.deliver(pkt(2, phaseWarmup, 0, 1), run)
	r.deliver(pkt(2, phaseMeasure, 2, 0), run) // sender of room 1
	r.deliver(pkt(2, phaseMeasure, 9, 0), run) // unknown sender
	r.deliver([]byte(`42["new_message",{"content":"plain"}]`), run)
	var h histogram
	var c recvCounts
	r.collect(&c)
	shared.drain(&h)
	want := recvCounts{Received: 3, Duplicates: 1, Stale: 1, Foreign: 2, Warmup: 1, Malformed: 1}
	if c != want {
		t.Fatalf("counts %+v, want %+v", c, want)
	}
	if h.total != 3 || run.unique.Load() != 3 {
		t.Fatalf("histogram %d, unique %d; want 3 and 3", h.total, run.unique.Load())
	}
	// collect resets: the same message counts again in the next step.
	r.deliver(pkt(2, phaseMeasure, 0, 0), run)
	c = recvCounts{}
	r.collect(&c)
	if c.Received != 1 || c.Duplicates != 0 {
		t.Fatalf("after reset: %+v", c)
	}
}

// TestLateDeliveriesDoNotCountInTheNextStep: what an overloaded server
// delivers of a step after it was collected must not appear in the next step
// as received, nor make that step's messages look like duplicates.
func TestLateDeliveriesDoNotCountInTheNextStep(t *testing.T) {
	shared := &sharedHist{}
	run := &runState{senderRoom: []int{0}, hists: []*sharedHist{shared}}
	r := newReceiver(0, shared)
	tr := &trafficRun{run: run, clients: []*client{{recv: r}}}
	pkt := func(step, seq int) []byte { return newMessageFrame(step, phaseMeasure, 0, seq) }
	run.step.Store(1)
	r.collect(&recvCounts{}) // step 1 collected; then its late deliveries land
	r.deliver(pkt(1, 0), run)
	r.deliver(pkt(1, 1), run)

	run.step.Store(2)
	tr.discardLateDeliveries()
	r.deliver(pkt(1, 2), run) // straggler after the step changed: stale
	r.deliver(pkt(2, 0), run)
	r.deliver(pkt(2, 1), run)
	var c recvCounts
	r.collect(&c)
	if want := (recvCounts{Received: 2, Stale: 1}); c != want {
		t.Fatalf("step 2 counts %+v, want %+v", c, want)
	}
	var h histogram
	shared.drain(&h)
	if h.total != 2 {
		t.Fatalf("step 2 histogram holds %d latencies, want 2", h.total)
	}
}

func TestReceiverRandomOrderNoFalseDuplicates(t *testing.T) {
	run := &runState{senderRoom: []int{0}}
	run.step.Store(1)
	r := newReceiver(0, &sharedHist{})
	seqs := rand.Perm(3000)
	for _, s := range seqs {
		c := appendContent(nil, marker{step: 1, phase: phaseMeasure, sender: 0, seq: s}, 0)
		r.deliver([]byte(`42["new_message",{"content":"`+string(c)+`"}]`), run)
	}
	if r.Received != 3000 || r.Duplicates != 0 {
		t.Fatalf("received %d duplicates %d, want 3000 and 0", r.Received, r.Duplicates)
	}
}

func TestParseProcFiles(t *testing.T) {
	stat := []byte("1234 (my (odd) name) S 1 2 3 4 5 6 7 8 9 10 250 150 0 0 20 0 8 0 100 200 300")
	cpu, err := parseStatCPU(stat)
	if err != nil {
		t.Fatal(err)
	}
	if cpu != 4.0 {
		t.Fatalf("cpu %v s, want 4 (400 ticks)", cpu)
	}
	if _, err := parseStatCPU([]byte("garbage")); err == nil {
		t.Fatal("garbage stat accepted")
	}
	status := []byte("Name:\tx\nVmPeak:\t 999 kB\nVmRSS:\t   5120 kB\nThreads:\t7\n")
	rss, threads, err := parseStatus(status)
	if err != nil || rss != 5120 || threads != 7 {
		t.Fatalf("rss %d threads %d err %v", rss, threads, err)
	}
	if _, _, err := parseStatus([]byte("Name:\tx\n")); err == nil {
		t.Fatal("status without VmRSS accepted")
	}
	io := []byte("rchar: 10\nwchar: 20\nsyscr: 3\nsyscw: 4711\nread_bytes: 0\n")
	if n := parseWriteCalls(io); n != 4711 {
		t.Fatalf("write calls %d, want 4711", n)
	}
	if n := parseWriteCalls([]byte("rchar: 10\n")); n != 0 {
		t.Fatalf("write calls without syscw %d, want 0", n)
	}
}

func TestSampleProcSelf(t *testing.T) {
	s, err := sampleProc(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if s.RSSBytes <= 0 || s.Threads <= 0 {
		t.Fatalf("own process sample %+v", s)
	}
	if s, err := sampleProc(0); err != nil || s != (ProcSample{}) {
		t.Fatalf("pid 0 must be a zero sample, got %+v %v", s, err)
	}
}

func TestSocketURL(t *testing.T) {
	got, err := socketURL("http://127.0.0.1:5000/")
	if err != nil || got != "ws://127.0.0.1:5000/socket.io/?EIO=4&transport=websocket" {
		t.Fatalf("%q %v", got, err)
	}
	if _, err := socketURL("ftp://x"); err == nil {
		t.Fatal("ftp accepted")
	}
}

func TestJudge(t *testing.T) {
	ok := StepResult{Sent: 100, Expected: 2000, TargetSentPerSec: 10, SentPerSec: 10, Latency: Latency{P99: 20}}
	if pass, why := judge(ok, 100*time.Millisecond); !pass {
		t.Fatalf("good step failed: %s", why)
	}
	for name, mod := range map[string]func(*StepResult){
		"lost":   func(s *StepResult) { s.Lost = 1 },
		"dup":    func(s *StepResult) { s.Duplicates = 1 },
		"slow":   func(s *StepResult) { s.Latency.P99 = 150 },
		"error":  func(s *StepResult) { s.ErrorEvents = 1 },
		"closed": func(s *StepResult) { s.Closed = 1 },
		"rate":   func(s *StepResult) { s.SentPerSec = 5 },
	} {
		s := ok
		mod(&s)
		if pass, _ := judge(s, 100*time.Millisecond); pass {
			t.Errorf("%s: step passed", name)
		}
	}
}

func TestParseFlagsRejectsBadLists(t *testing.T) {
	for _, args := range [][]string{{"-rates", "10,x"}, {"-rates", "-5"}, {"-idle", "0"}, {"-users", "0"}} {
		if _, err := parseFlags(args, io.Discard); err == nil {
			t.Errorf("parseFlags(%v) accepted", args)
		}
	}
	o, err := parseFlags([]string{"-rates", "10, 20,40", "-idle", "5,1"}, io.Discard)
	if err != nil || len(o.traffic.Rates) != 3 || o.traffic.Rates[1] != 20 || len(o.idle.Counts) != 2 {
		t.Fatalf("%+v %v", o.traffic.Rates, err)
	}
}

func TestTableComparesBothNodeConfigurationsWithGo(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, rep *Report) {
		if err := writeJSON(filepath.Join(dir, name), rep); err != nil {
			t.Fatal(err)
		}
	}
	step := func(rate, dps, p99 float64) StepResult {
		return StepResult{RoomRate: rate, DeliveriesPerSec: dps, Pass: true, Latency: Latency{P99: p99}}
	}
	report := func(steps ...StepResult) *Report {
		b := steps[len(steps)-1]
		return &Report{Steps: steps, Best: &b}
	}
	// fan-out: Go 4.0× plain Node, 3.2× Node with bufferutil (met once, not twice).
	write("node-fanout.json", report(step(40, 40000, 27)))
	write("node-native-fanout.json", report(step(40, 40000, 20), step(50, 50000, 25)))
	write("go-fanout.json", &Report{Steps: []StepResult{step(40, 40000, 6), step(50, 50000, 7), step(160, 160000, 30)},
		Best:             &StepResult{RoomRate: 160, DeliveriesPerSec: 160000, Pass: true, Latency: Latency{P99: 30}},
		RSSBeforeTraffic: 100 << 20, RSSAfterTraffic: 250 << 20})
	// polling fan-out: only Node ran; Go's report is missing.
	write("node-fanout-polling.json", report(step(10, 10000, 50)))
	write("node-native-fanout-polling.json", report(step(10, 10000, 45)))
	// big room: Go sustained nothing.
	write("node-bigroom.json", report(step(40, 20000, 30)))
	write("go-bigroom.json", &Report{Steps: []StepResult{{RoomRate: 20, Why: "lost 3 of 10000"}}, RSSBeforeTraffic: 50 << 20, RSSAfterTraffic: 60 << 20})
	write("node-idle.json", &Report{IdlePoints: []IdlePoint{{Conns: 5000, PerConnKiB: 17.6, RSSBytes: 150 << 20}, {Conns: 15000, RSSBytes: 400 << 20}}})
	write("node-native-idle.json", &Report{IdlePoints: []IdlePoint{{Conns: 5000, PerConnKiB: 17.0, RSSBytes: 140 << 20}}})
	write("go-idle.json", &Report{IdlePoints: []IdlePoint{{Conns: 5000, PerConnKiB: 20, RSSBytes: 145 << 20}, {Conns: 15000, RSSBytes: 300 << 20}}})
	var out strings.Builder
	if err := printTable(&out, dir); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{
		"| fan-out 50×20: highest sustainable deliveries/s | node (ws in JS) | 40000/s (p99 27.0 ms, CPU 0%) | 160000/s (p99 30.0 ms, CPU 0%) | 4.00× | ≥ 4× | yes |",
		"| fan-out 50×20: highest sustainable deliveries/s | node-native (ws + bufferutil) | 50000/s (p99 25.0 ms, CPU 0%) | 160000/s (p99 30.0 ms, CPU 0%) | 3.20× | ≥ 4× | **no** |",
		"| big room 1×500: highest sustainable deliveries/s | node (ws in JS) | 20000/s (p99 30.0 ms, CPU 0%) | no step passed | — | ≥ 3× | **no** |",
		"| big room 1×500: highest sustainable deliveries/s | node-native (ws + bufferutil) | — | no step passed | — | ≥ 3× | — |",
		"| fan-out 50×20, long-polling clients: highest sustainable deliveries/s | node-native (ws + bufferutil) | 10000/s (p99 45.0 ms, CPU 0%) | — | — | ≥ 2× | — |",
		"| fan-out p99 at Node's best rate (40 msg/s per room) | node (ws in JS) | 27.0 ms | 6.0 ms | 0.22× | ≤ ⅓ | yes |",
		"| fan-out p99 at Node's best rate (50 msg/s per room) | node-native (ws + bufferutil) | 25.0 ms | 7.0 ms | 0.28× | ≤ ⅓ | yes |",
		"| RSS with 5000 idle connections | node (ws in JS) | 150 MiB (17.6 KiB per connection) | 145 MiB (20.0 KiB per connection) | 0.97× | ≤ Node's | yes |",
		"| RSS with 5000 idle connections | node-native (ws + bufferutil) | 140 MiB (17.0 KiB per connection) | 145 MiB (20.0 KiB per connection) | 1.04× | ≤ Node's | **no** |",
		"| RSS with 15000 idle connections | node (ws in JS) | 400 MiB (0.0 KiB per connection) | 300 MiB (0.0 KiB per connection) | 0.75× | ≤ Node's | yes |",
		"| RSS with 15000 idle connections | node-native (ws + bufferutil) | not measured | 300 MiB (0.0 KiB per connection) | — | ≤ Node's | — |",
		"| Go RSS after the fanout steps vs idle before them | — | — | 100 MiB → 250 MiB | 2.50× | ≤ 2× | **no** |",
		"| Go RSS after the bigroom steps vs idle before them | — | — | 50 MiB → 60 MiB | 1.20× | ≤ 2× | yes |",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("table lacks %q:\n%s", want, s)
		}
	}
	// Go stopped below Node's best rate: the p99 row says so and fails.
	slow := StepResult{RoomRate: 20, Why: "p99 400.0 ms > 100 ms"}
	write("go-fanout.json", &Report{Steps: []StepResult{slow}})
	out.Reset()
	if err := printTable(&out, dir); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "| node (ws in JS) | 27.0 ms | not reached: failed at 20 msg/s per room (p99 400.0 ms > 100 ms) | — | ≤ ⅓ | **no** |") {
		t.Errorf("p99 row without a Go step at Node's rate:\n%s", out.String())
	}
	if err := printTable(io.Discard, t.TempDir()); err == nil {
		t.Fatal("empty directory accepted")
	}
}

func TestTableGoAlone(t *testing.T) {
	dir := t.TempDir()
	b := StepResult{RoomRate: 40, DeliveriesPerSec: 40000, Pass: true}
	if err := writeJSON(filepath.Join(dir, "go-fanout-polling.json"), &Report{Steps: []StepResult{b}, Best: &b}); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := printTable(&out, dir); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "| fan-out 50×20, long-polling clients: highest sustainable deliveries/s | — | — | 40000/s") {
		t.Errorf("Go-only table:\n%s", out.String())
	}
}

func TestEndpointPerTransport(t *testing.T) {
	for transport, want := range map[string]string{
		"websocket": "ws://127.0.0.1:5000/socket.io/?EIO=4&transport=websocket",
		"polling":   "http://127.0.0.1:5000/socket.io/?EIO=4&transport=polling",
	} {
		if got, err := endpoint("http://127.0.0.1:5000/", transport); err != nil || got != want {
			t.Errorf("%s: %q %v", transport, got, err)
		}
	}
	if _, err := endpoint("http://x", "carrier-pigeon"); err == nil {
		t.Error("unknown transport accepted")
	}
	if _, err := parseFlags([]string{"-transport", "sse"}, io.Discard); err == nil {
		t.Error("-transport sse accepted")
	}
}

func TestPollSendAfterTheSessionEndedNamesTheCause(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pc := &pollConn{ctx: ctx, cancel: cancel, wake: make(chan struct{}, 1), written: make(chan struct{})}
	if err := pc.send([]byte("3")); err != nil {
		t.Fatalf("send on an open session: %v", err)
	}
	if string(pc.out) != "3" {
		t.Fatalf("queued %q", pc.out)
	}
	pc.send([]byte("42[]"))
	if string(pc.out) != "3\x1e42[]" {
		t.Fatalf("two packets queued as %q", pc.out)
	}
	pc.shutWith(errors.New("GET: status 400"))
	err := pc.send([]byte("3"))
	if !errors.Is(err, errPollClosed) || !strings.Contains(err.Error(), "GET: status 400") {
		t.Fatalf("send after the end: %v", err)
	}
	if ctx.Err() == nil {
		t.Fatal("shutWith did not cancel the session's requests")
	}
}

func TestSplitPackets(t *testing.T) {
	got := splitPackets([]byte("40{\"sid\":\"a\"}\x1e42[\"x\"]\x1e2"))
	if len(got) != 3 || string(got[0]) != `40{"sid":"a"}` || string(got[1]) != `42["x"]` || string(got[2]) != "2" {
		t.Fatalf("%q", got)
	}
	if splitPackets(nil) != nil {
		t.Fatal("empty body gave packets")
	}
}

func TestParseCoreBusy(t *testing.T) {
	stat := []byte("cpu  9 9 9 9 9 9 9 9 0 0\ncpu0 100 5 50 1000 7 3 2 0 0 0\ncpu1 1 1 1 1 1 1 1 1 0 0\n")
	busy, err := parseCoreBusy(stat, 0)
	if err != nil {
		t.Fatal(err)
	}
	if busy != 1.6 { // (100+5+50+3+2+0) ticks, idle and iowait left out
		t.Fatalf("busy %v s, want 1.6", busy)
	}
	if _, err := parseCoreBusy(stat, 7); err == nil {
		t.Fatal("missing core accepted")
	}
	if v, err := coreBusy(-1); v != 0 || err != nil {
		t.Fatalf("unwatched core: %v %v", v, err)
	}
}

func serverFrame(op byte, fin bool, payload []byte) []byte {
	b0 := op
	if fin {
		b0 |= 0x80
	}
	b := []byte{b0}
	switch n := len(payload); {
	case n < 126:
		b = append(b, byte(n))
	case n <= 0xFFFF:
		b = append(b, 126, byte(n>>8), byte(n))
	default:
		b = append(b, 127, 0, 0, 0, 0, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(b, payload...)
}

func TestParseFrameSizesAndPartialInput(t *testing.T) {
	for _, size := range []int{0, 5, 125, 126, 65535, 65536, 200000} {
		payload := []byte(strings.Repeat("a", size))
		f := serverFrame(opText, true, payload)
		for _, cut := range []int{0, 1, len(f) - 1} {
			if cut < 0 || cut >= len(f) {
				continue
			}
			if _, n, err := parseFrame(f[:cut]); n != 0 || err != nil {
				t.Fatalf("size %d cut %d: parsed a frame from a partial input (n=%d err=%v)", size, cut, n, err)
			}
		}
		got, n, err := parseFrame(f)
		if err != nil || n != len(f) || len(got.payload) != size || !got.fin || got.op != opText {
			t.Fatalf("size %d: n=%d err=%v len=%d", size, n, err, len(got.payload))
		}
	}
	huge := []byte{0x81, 127, 0xFF, 0, 0, 0, 0, 0, 0, 0}
	if _, _, err := parseFrame(huge); err == nil {
		t.Fatal("absurd frame size accepted")
	}
}

func TestParseFrameUnmasks(t *testing.T) {
	mask := []byte{1, 2, 3, 4}
	plain := []byte("hello")
	masked := make([]byte, len(plain))
	for i := range plain {
		masked[i] = plain[i] ^ mask[i%4]
	}
	f := append([]byte{0x81, 0x80 | byte(len(plain))}, mask...)
	f = append(f, masked...)
	got, _, err := parseFrame(f)
	if err != nil || string(got.payload) != "hello" {
		t.Fatalf("%q %v", got.payload, err)
	}
}

// pipeConn gives a wsConn whose writes can be read back.
func pipeConn(t *testing.T) (*wsConn, net.Conn) {
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	return &wsConn{nc: a}, b
}

func TestConsumeReassemblesAndAnswersPing(t *testing.T) {
	c, peer := pipeConn(t)
	stream := append(serverFrame(opText, false, []byte("hel")), serverFrame(opPing, true, []byte("p"))...)
	stream = append(stream, serverFrame(opContinuation, true, []byte("lo"))...)
	stream = append(stream, serverFrame(opText, true, []byte("2"))...)
	stream = append(stream, serverFrame(opText, true, []byte("partial"))[:4]...)
	pong := make(chan []byte, 1)
	go func() {
		b := make([]byte, 64)
		n, _ := peer.Read(b)
		pong <- b[:n]
	}()
	var msgs []string
	used, err := c.consume(stream, func(m []byte) bool { msgs = append(msgs, string(m)); return true })
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(msgs, ",") != "hello,2" {
		t.Fatalf("messages %q", msgs)
	}
	if used != len(stream)-4 {
		t.Fatalf("used %d of %d: the partial frame must stay unparsed", used, len(stream))
	}
	p := <-pong
	if len(p) != 7 || p[0] != 0x80|opPong || p[1] != 0x80|1 || p[6] != 'p' {
		t.Fatalf("pong frame % x", p)
	}
	if _, err := c.consume(serverFrame(opClose, true, nil), func([]byte) bool { return true }); err == nil {
		t.Fatal("close frame not reported")
	}
}

func TestWriteFrameIsMaskedWithZeroKey(t *testing.T) {
	c, peer := pipeConn(t)
	got := make(chan []byte, 1)
	go func() {
		b := make([]byte, 300)
		n, _ := io.ReadAtLeast(peer, b, 8+200)
		got <- b[:n]
	}()
	payload := []byte(strings.Repeat("z", 200))
	if err := c.writeText(payload); err != nil {
		t.Fatal(err)
	}
	f := <-got
	if f[0] != 0x81 || f[1] != 0x80|126 || f[2] != 0 || f[3] != 200 || string(f[4:8]) != "\x00\x00\x00\x00" || string(f[8:]) != string(payload) {
		t.Fatalf("frame header % x", f[:8])
	}
}

func TestFeedKeepsPartialFrameAcrossReads(t *testing.T) {
	run := &runState{senderRoom: []int{0}}
	run.step.Store(1)
	c := &client{run: run, recv: newReceiver(0, &sharedHist{}), ws: &wsConn{}}
	content := appendContent(nil, marker{step: 1, phase: phaseMeasure, sender: 0, seq: 3, sentNS: time.Now().UnixNano()}, 64)
	f := serverFrame(opText, true, []byte(`42["new_message",{"content":"`+string(content)+`"}]`))
	stream := append(append([]byte{}, f...), f[:10]...)
	if err := c.feed(stream); err != nil {
		t.Fatal(err)
	}
	if c.recv.Received != 1 || len(c.ws.pending) != 10 {
		t.Fatalf("received %d, pending %d", c.recv.Received, len(c.ws.pending))
	}
	if err := c.feed(f[10:]); err != nil {
		t.Fatal(err)
	}
	if c.recv.Received != 1 || c.recv.Duplicates != 1 || len(c.ws.pending) != 0 {
		t.Fatalf("after the rest: received %d duplicates %d pending %d", c.recv.Received, c.recv.Duplicates, len(c.ws.pending))
	}
}
