// Package workers runs client events on goroutines that outlive one event.
// socket.io starts a goroutine with Go's smallest stack for every decoded
// packet, and a posted message's handler grows and copies that stack each time
// (3.5% of the CPU at 170 messages/s per room); our event router hands the
// event to a worker instead, which keeps the stack it grew for the next one.
package workers

import (
	"sync/atomic"
	"time"
)

// Pool runs client events on goroutines that outlive one event.
//
// socket.io starts a goroutine for every packet it decodes, with Go's smallest
// stack; a posted message's handler is deeper than that (the domain's post, the
// `message_sent` frame it encodes), so every event paid for growing and
// copying its stack: 3.5% of the CPU at 170 messages/s per room. The library's
// goroutine now only hands the event over and ends while its stack is small; a
// worker keeps the stack it grew for the next event.
//
// An event never waits for a worker: it is given to one that is idle, or to a
// new one. (Events of a connection wait for each other through their tickets,
// not here, so a queue in front of the workers could deadlock.) A worker idle
// for its idle time ends, so a quiet server keeps none.
type Pool struct {
	jobs chan func() // unbuffered: a send succeeds only into an idle worker
	idle time.Duration
	live atomic.Int32 // workers that exist, idle or not
}

// Idle: long enough for a worker to see many events of a busy server,
// short enough that an idle server keeps no goroutines for long.
const Idle = 2 * time.Second

// New is a pool whose workers end after idle without an event.
func New(idle time.Duration) *Pool {
	return &Pool{jobs: make(chan func()), idle: idle}
}

// Run runs job on an idle worker, or on a new one.
func (w *Pool) Run(job func()) {
	select {
	case w.jobs <- job:
	default:
		w.live.Add(1)
		go w.work(job)
	}
}

func (w *Pool) work(job func()) {
	defer w.live.Add(-1)
	timer := time.NewTimer(w.idle)
	defer timer.Stop()
	for {
		job()
		job = nil // not kept alive while idle
		timer.Reset(w.idle)
		select {
		case job = <-w.jobs:
		case <-timer.C:
			return
		}
	}
}
