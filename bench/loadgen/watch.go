package main

import "time"

// watch is what the generator observes besides its own connections: the
// server process, and the two cores the run is pinned to.
type watch struct {
	pid        int // server process; 0 = not watched
	serverCore int // core the server is pinned to; -1 = not watched
	genCore    int // core the generator is pinned to; -1 = not watched
}

// Window is what happened on the machine during a measured window.
type Window struct {
	Server       ProcSample `json:"server"`               // at the end of the window
	ServerCPU    float64    `json:"server_cpu"`           // cores the server used
	ServerWrites float64    `json:"server_writes_per_s"`  // the server's write system calls per second
	GeneratorCPU float64    `json:"generator_cpu"`        // cores the generator used
	OtherOnSrv   float64    `json:"other_on_server_core"` // cores used by anything else on the server's core
	OtherOnGen   float64    `json:"other_on_gen_core"`    // same on the generator's core
	Contended    bool       `json:"contended"`            // something else took a noticeable share of either core
	GenSaturated bool       `json:"generator_saturated"`
}

// contendedShare: more than this share of a core used by other programs makes
// a window's figures unreliable.
const contendedShare = 0.15

type windowStart struct {
	at               time.Time
	srv              ProcSample
	gen              time.Duration
	srvCore, genCore float64
}

func (w watch) begin() windowStart {
	s := windowStart{at: time.Now(), gen: selfCPU()}
	s.srv, _ = sampleProc(w.pid)
	s.srvCore, _ = coreBusy(w.serverCore)
	s.genCore, _ = coreBusy(w.genCore)
	return s
}

// end closes a window begun at s.
func (w watch) end(s windowStart) (Window, time.Duration) {
	took := time.Since(s.at)
	srv, _ := sampleProc(w.pid)
	gen := selfCPU()
	secs := took.Seconds()
	out := Window{Server: srv}
	out.ServerCPU = (srv.CPUSeconds - s.srv.CPUSeconds) / secs
	out.ServerWrites = float64(srv.WriteCalls-s.srv.WriteCalls) / secs
	out.GeneratorCPU = (gen - s.gen).Seconds() / secs
	if w.serverCore >= 0 {
		busy, _ := coreBusy(w.serverCore)
		out.OtherOnSrv = max(0, (busy-s.srvCore)/secs-out.ServerCPU)
	}
	if w.genCore >= 0 {
		busy, _ := coreBusy(w.genCore)
		out.OtherOnGen = max(0, (busy-s.genCore)/secs-out.GeneratorCPU)
	}
	out.Contended = out.OtherOnSrv > contendedShare || out.OtherOnGen > contendedShare
	out.GenSaturated = out.GeneratorCPU > 0.9
	return out, took
}
