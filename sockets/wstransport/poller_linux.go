//go:build linux

package wstransport

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"sync"
	"syscall"
	"time"
)

// pollEvents: readable (or peer hung up), reported once until re-armed, so
// at most one goroutine reads a connection at a time. Level-triggered (no
// EPOLLET): re-arming a connection that already holds bytes reports it at
// once, which readState.serve relies on after a short read.
const pollEvents = syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLONESHOT

// pollIdleCheck is how often a loop with nothing to watch checks whether it
// can exit.
const pollIdleCheck = time.Second

// poller replaces a reader goroutine per connection: one epoll instance
// watches every connection, and one that becomes readable is read by a
// worker until the socket holds nothing more, then re-armed (see
// readState.serve and dispatch). An idle connection thus costs no goroutine
// stack and no read buffer. The epoll descriptor is itself waited on through
// Go's netpoller, so the loop occupies no thread, and the loop runs only while
// at least one connection is watched.
type poller struct {
	epfd    int
	epfile  *os.File // epfd, registered with Go's netpoller
	raw     syscall.RawConn
	log     *slog.Logger
	buffers sync.Pool // read buffers, lent only while a connection is read
	// work hands a readable connection to an idle worker (see dispatch).
	work chan *readState

	mu      sync.Mutex
	conns   map[uint64]*readState
	nextID  uint64
	running bool
}

// newPoller returns nil when epoll is unavailable; transports then read with
// a goroutine each.
func newPoller(log *slog.Logger) *poller {
	p, err := openPoller(log)
	if err != nil {
		log.Warn("epoll unavailable, websocket reads use a goroutine per connection", slog.Any("err", err))
		return nil
	}
	return p
}

func openPoller(log *slog.Logger) (*poller, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("epoll_create1: %w", err)
	}
	if err := syscall.SetNonblock(epfd, true); err != nil {
		syscall.Close(epfd)
		return nil, fmt.Errorf("epoll fd non-blocking: %w", err)
	}
	// A non-blocking descriptor is added to Go's netpoller by os.NewFile.
	epfile := os.NewFile(uintptr(epfd), "wstransport-epoll")
	raw, err := epfile.SyscallConn()
	if err != nil {
		epfile.Close()
		return nil, fmt.Errorf("epoll fd raw conn: %w", err)
	}
	p := &poller{epfd: epfd, epfile: epfile, raw: raw, log: log,
		conns: make(map[uint64]*readState), work: make(chan *readState)}
	p.buffers.New = func() any {
		b := make([]byte, readBufferSize)
		return &b
	}
	return p, nil
}

// watch reads t until it falls idle, then hands it to the epoll instance. It
// reports false, having read nothing, when the connection cannot be polled
// (not a plain socket, or compression enabled); the caller then reads it itself.
func (p *poller) watch(t *transport) bool {
	// With permessage-deflate enabled the client may compress its frames;
	// only gorilla's reader inflates them.
	if t.PerMessageDeflate() != nil {
		return false
	}
	sc, ok := t.netConn.(syscall.Conn)
	if !ok {
		return false
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	st := &readState{p: p, t: t, raw: raw, in: inbound{limit: t.opts.MaxMessageSize}}

	p.mu.Lock()
	p.nextID++
	st.id = p.nextID
	p.conns[st.id] = st
	startLoop := !p.running
	p.running = true
	p.mu.Unlock()
	if startLoop {
		go p.loop()
	}

	// Every path that ends the connection closes it through t.conn, which
	// emits "close": the registration is dropped then.
	t.conn.Once("close", func(...any) { p.forget(st.id) })
	// From here on the connection is read by us and written through netConn:
	// letting go of gorilla's Conn frees its buffers (~2.75 KB per idle
	// connection; the engine's upgrader sizes them and gives no pool).
	t.conn.Conn = nil
	// A new connection is about to send its first packets: serve it now.
	st.serve()
	return true
}

func (p *poller) forget(id uint64) {
	p.mu.Lock()
	delete(p.conns, id)
	p.mu.Unlock()
}

// loop waits for readable connections and serves each on its own goroutine:
// serving runs the engine's handlers, which may block (database calls).
func (p *poller) loop() {
	events := make([]syscall.EpollEvent, 256)
	for {
		var n int
		var waitErr error
		_ = p.epfile.SetReadDeadline(time.Now().Add(pollIdleCheck))
		err := p.raw.Read(func(fd uintptr) bool {
			for {
				n, waitErr = syscall.EpollWait(int(fd), events, 0)
				if errors.Is(waitErr, syscall.EINTR) {
					n, waitErr = 0, nil
				}
				if n > 0 || waitErr != nil {
					return true
				}
				if !yieldWhileBusy() {
					return false // nothing ready on a quiet server: park in the netpoller
				}
			}
		})
		if err == nil && waitErr != nil {
			err = waitErr
		}
		if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			// Unexpected: connections stay registered; the next watch restarts the loop.
			p.log.Error("epoll wait failed", slog.Any("err", err))
			n = 0
		}
		p.mu.Lock()
		for _, ev := range events[:n] {
			if st := p.conns[eventID(ev)]; st != nil {
				p.dispatch(st)
			}
		}
		if n == 0 && (err != nil && !errors.Is(err, os.ErrDeadlineExceeded) || len(p.conns) == 0) {
			p.running = false
			p.mu.Unlock()
			return
		}
		p.mu.Unlock()
	}
}

// busyYield: a yield that took this long ran other goroutines, so the
// server is busy (see yieldWhileBusy).
const busyYield = 20 * time.Microsecond

// yieldWhileBusy lets every runnable goroutine run once and reports whether
// any did. Go's scheduler polls the network only when it has nothing else to
// run (or, failing that, every 10 ms from sysmon): on a busy processor a loop
// parked in the netpoller learns of readable connections late, and an
// incoming message waited milliseconds before it was read. While the server
// is busy the loop polls epoll itself once per turn of the run queue instead,
// like an event loop's tick; on a quiet one the yield returns at once and the
// loop parks.
func yieldWhileBusy() bool {
	start := time.Now()
	runtime.Gosched()
	return time.Since(start) >= busyYield
}

// workerIdle is how long a worker waits for another readable connection
// before exiting.
const workerIdle = 2 * time.Second

// dispatch serves st on an idle worker, or on a new one when all are busy
// (serving may block in the engine's handlers). Workers outlive one event so
// that under load a few goroutines with already grown stacks do the reading,
// and exit once reads stop, so idle connections cost none.
func (p *poller) dispatch(st *readState) {
	select {
	case p.work <- st:
	default:
		go p.worker(st)
	}
}

func (p *poller) worker(st *readState) {
	idle := time.NewTimer(workerIdle)
	defer idle.Stop()
	for {
		st.serve()
		idle.Reset(workerIdle)
		select {
		case st = <-p.work:
		case <-idle.C:
			return
		}
	}
}

// The event's user data carries the registration id (not the descriptor, which
// the kernel may reuse for a new connection once this one is closed).
func setEventID(ev *syscall.EpollEvent, id uint64) {
	ev.Fd = int32(uint32(id))
	ev.Pad = int32(uint32(id >> 32))
}

func eventID(ev syscall.EpollEvent) uint64 {
	return uint64(uint32(ev.Fd)) | uint64(uint32(ev.Pad))<<32
}

// arm registers (EPOLL_CTL_ADD) or re-arms (EPOLL_CTL_MOD) the connection.
func (st *readState) arm(op int) error {
	var ctlErr error
	err := st.raw.Control(func(fd uintptr) {
		ev := syscall.EpollEvent{Events: pollEvents}
		setEventID(&ev, st.id)
		ctlErr = syscall.EpollCtl(st.p.epfd, op, int(fd), &ev)
	})
	if err != nil {
		return fmt.Errorf("arm websocket poll: %w", err)
	}
	if ctlErr != nil {
		return fmt.Errorf("arm websocket poll: %w", ctlErr)
	}
	return nil
}

// readNow reads what the socket holds without waiting: syscall.EAGAIN when
// it holds nothing.
func (st *readState) readNow(b []byte) (int, error) {
	for {
		st.reads++
		var n int
		var readErr error
		err := st.raw.Read(func(fd uintptr) bool {
			n, readErr = syscall.Read(int(fd), b)
			return true // never wait: the poller does
		})
		if err != nil {
			return 0, err
		}
		if errors.Is(readErr, syscall.EINTR) {
			continue
		}
		return max(n, 0), readErr
	}
}

func (st *readState) getBuffer() *[]byte  { return st.p.buffers.Get().(*[]byte) }
func (st *readState) putBuffer(b *[]byte) { st.p.buffers.Put(b) }

func isWouldBlock(err error) bool { return errors.Is(err, syscall.EAGAIN) }

// armPoll hands the connection to the epoll instance: added the first time,
// re-armed after.
func (st *readState) armPoll() error {
	op := syscall.EPOLL_CTL_MOD
	if !st.armed {
		op = syscall.EPOLL_CTL_ADD
	}
	if err := st.arm(op); err != nil {
		return err
	}
	st.armed = true
	return nil
}
