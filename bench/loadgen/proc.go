package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"
)

// clockTicks is USER_HZ, the unit of utime/stime in /proc/<pid>/stat; 100 on
// every Linux architecture Go supports in practice.
const clockTicks = 100

// ProcSample is one look at the server process.
type ProcSample struct {
	CPUSeconds float64 `json:"cpu_s"`
	RSSBytes   int64   `json:"rss_bytes"`
	Threads    int     `json:"threads"`
	// WriteCalls counts the process's write system calls (syscw in
	// /proc/<pid>/io; 0 when unreadable): per delivery it shows how well the
	// server coalesces its websocket writes.
	WriteCalls uint64 `json:"write_calls"`
}

// sampleProc reads the CPU time and resident memory of pid. pid 0 means "not
// watched" and returns a zero sample.
func sampleProc(pid int) (ProcSample, error) {
	if pid == 0 {
		return ProcSample{}, nil
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ProcSample{}, fmt.Errorf("read server stat: %w", err)
	}
	cpu, err := parseStatCPU(stat)
	if err != nil {
		return ProcSample{}, err
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return ProcSample{}, fmt.Errorf("read server status: %w", err)
	}
	rssKB, threads, err := parseStatus(status)
	if err != nil {
		return ProcSample{}, err
	}
	sample := ProcSample{CPUSeconds: cpu, RSSBytes: rssKB * 1024, Threads: threads}
	if io, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid)); err == nil {
		sample.WriteCalls = parseWriteCalls(io)
	}
	return sample, nil
}

// parseWriteCalls returns syscw from /proc/<pid>/io, 0 when absent.
func parseWriteCalls(io []byte) uint64 {
	for _, line := range bytes.Split(io, []byte{'\n'}) {
		if v, ok := bytes.CutPrefix(line, []byte("syscw:")); ok {
			n, _ := strconv.ParseUint(string(bytes.TrimSpace(v)), 10, 64)
			return n
		}
	}
	return 0
}

// parseStatCPU returns utime+stime in seconds. The command name (field 2) may
// hold spaces and parentheses, so fields are counted after the last ')'.
func parseStatCPU(stat []byte) (float64, error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("parse /proc stat: no command name")
	}
	f := bytes.Fields(stat[i+1:])
	// f[0] is field 3 (state); utime is field 14, stime field 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("parse /proc stat: %d fields", len(f))
	}
	utime, err1 := strconv.ParseUint(string(f[11]), 10, 64)
	stime, err2 := strconv.ParseUint(string(f[12]), 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("parse /proc stat: bad utime/stime")
	}
	return float64(utime+stime) / clockTicks, nil
}

// parseStatus returns VmRSS (kB) and Threads from /proc/<pid>/status.
func parseStatus(status []byte) (rssKB int64, threads int, err error) {
	found := 0
	for _, line := range bytes.Split(status, []byte{'\n'}) {
		key, val, ok := bytes.Cut(line, []byte{':'})
		if !ok {
			continue
		}
		fields := bytes.Fields(val)
		if len(fields) == 0 {
			continue
		}
		switch string(key) {
		case "VmRSS":
			rssKB, err = strconv.ParseInt(string(fields[0]), 10, 64)
			found++
		case "Threads":
			threads, err = strconv.Atoi(string(fields[0]))
			found++
		}
		if err != nil {
			return 0, 0, fmt.Errorf("parse /proc status %s: %w", key, err)
		}
	}
	if found < 2 {
		return 0, 0, fmt.Errorf("parse /proc status: VmRSS or Threads missing")
	}
	return rssKB, threads, nil
}

// selfCPU is this process's user+system CPU time.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// coreBusy returns the busy time (seconds) of one CPU core from /proc/stat;
// core < 0 means "not watched". Comparing it with the server's own CPU time
// shows how much of the server's core something else took (other programs on
// a shared machine make a run meaningless, and this says so).
func coreBusy(core int) (float64, error) {
	if core < 0 {
		return 0, nil
	}
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, fmt.Errorf("read /proc/stat: %w", err)
	}
	return parseCoreBusy(data, core)
}

func parseCoreBusy(stat []byte, core int) (float64, error) {
	name := []byte("cpu" + strconv.Itoa(core) + " ")
	for _, line := range bytes.Split(stat, []byte{'\n'}) {
		if !bytes.HasPrefix(line, name) {
			continue
		}
		f := bytes.Fields(line[len(name):])
		if len(f) < 8 {
			return 0, fmt.Errorf("parse /proc/stat cpu%d: %d fields", core, len(f))
		}
		var busy uint64
		// user nice system idle iowait irq softirq steal: all but idle and iowait.
		for i, v := range f[:8] {
			n, err := strconv.ParseUint(string(v), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("parse /proc/stat cpu%d: %w", core, err)
			}
			if i != 3 && i != 4 {
				busy += n
			}
		}
		return float64(busy) / clockTicks, nil
	}
	return 0, fmt.Errorf("parse /proc/stat: no cpu%d", core)
}
