package main

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// poller reads every connection of a run from one goroutine with epoll: one
// epoll_wait for many ready connections and one read per ready connection,
// where a goroutine per connection costs a park, a wake-up and two reads
// (the second one only to learn there is nothing more) for every frame.
// This keeps the generator far from being the bottleneck.
//
// The epoll descriptor is waited on through Go's netpoller, never in a
// blocking epoll_wait: with the generator pinned to one core (GOMAXPROCS=1) a
// goroutine blocked in a system call holds the only P until sysmon takes it
// back, up to 10 ms later, and every pacing timer fires that much late (a
// measured latency floor of ~9 ms against a server doing no work at all).
type poller struct {
	epfd    int
	epfile  *os.File
	raw     syscall.RawConn
	byFD    []atomic.Pointer[client]
	scratch []byte
	stop    atomic.Bool
	done    chan struct{}
	once    sync.Once
}

func newPoller(maxFD int) (*poller, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("epoll_create1: %w", err)
	}
	if err := syscall.SetNonblock(epfd, true); err != nil {
		syscall.Close(epfd)
		return nil, fmt.Errorf("epoll fd non-blocking: %w", err)
	}
	// os.NewFile registers a non-blocking descriptor with the netpoller.
	epfile := os.NewFile(uintptr(epfd), "loadgen-epoll")
	raw, err := epfile.SyscallConn()
	if err != nil {
		epfile.Close()
		return nil, fmt.Errorf("epoll fd raw conn: %w", err)
	}
	p := &poller{epfd: epfd, epfile: epfile, raw: raw, byFD: make([]atomic.Pointer[client], maxFD), scratch: make([]byte, 256<<10), done: make(chan struct{})}
	go p.run()
	return p, nil
}

// add starts reading c from the loop. Bytes c already holds are parsed first.
func (p *poller) add(c *client) error {
	fd := c.ws.fd
	if fd < 0 || fd >= len(p.byFD) {
		return fmt.Errorf("file descriptor %d beyond the poller's table (%d)", fd, len(p.byFD))
	}
	// Fed before c is published: from the Store on the loop may read it.
	if len(c.ws.pending) > 0 {
		c.feed(nil)
	}
	p.byFD[fd].Store(c)
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP, Fd: int32(fd)}
	if err := syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_ADD, fd, &ev); err != nil {
		p.byFD[fd].Store(nil)
		return fmt.Errorf("epoll_ctl add: %w", err)
	}
	return nil
}

func (p *poller) remove(c *client) {
	fd := c.ws.fd
	_ = syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_DEL, fd, nil)
	p.byFD[fd].CompareAndSwap(c, nil)
}

func (p *poller) run() {
	defer close(p.done)
	events := make([]syscall.EpollEvent, 512)
	var renewAt time.Time
	for !p.stop.Load() {
		var n int
		var waitErr error
		// The deadline lets the loop notice stop; renewed now and then, not
		// per pass (each renewal moves a timer).
		if now := time.Now(); now.After(renewAt) {
			_ = p.epfile.SetReadDeadline(now.Add(100 * time.Millisecond))
			renewAt = now.Add(50 * time.Millisecond)
		}
		err := p.raw.Read(func(fd uintptr) bool {
			n, waitErr = syscall.EpollWait(int(fd), events, 0)
			if errors.Is(waitErr, syscall.EINTR) {
				n, waitErr = 0, nil
			}
			return n > 0 || waitErr != nil // nothing ready: park in the netpoller
		})
		if errors.Is(err, os.ErrDeadlineExceeded) {
			continue
		}
		if err != nil || waitErr != nil {
			return
		}
		for i := range n {
			fd := int(events[i].Fd)
			c := p.byFD[fd].Load()
			if c == nil {
				continue
			}
			if err := p.readReady(c, fd); err != nil {
				p.remove(c)
				c.ended(err)
			}
		}
	}
}

// readReady reads what a ready connection holds (level-triggered: anything
// left over wakes the loop again) and hands it to the connection's parser.
func (p *poller) readReady(c *client, fd int) error {
	n, err := syscall.Read(fd, p.scratch)
	switch {
	case errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EINTR):
		return nil
	case err != nil:
		return fmt.Errorf("read: %w", err)
	case n == 0:
		return errClosedByPeer
	}
	return c.feed(p.scratch[:n])
}

// close stops the loop and waits for it.
func (p *poller) close() {
	p.once.Do(func() {
		p.stop.Store(true)
		<-p.done
		p.epfile.Close()
	})
}

// newReader returns the poller for -reader epoll, nil for goroutine readers.
func newReader(mode string) (*poller, error) {
	if mode != "epoll" {
		return nil, nil
	}
	var l syscall.Rlimit
	maxFD := 1 << 16
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err == nil && l.Cur+64 > uint64(maxFD) {
		maxFD = int(min(l.Cur+64, 1<<22))
	}
	return newPoller(maxFD)
}
