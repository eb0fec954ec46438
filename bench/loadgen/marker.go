package main

import (
	"bytes"
	"errors"
	"strconv"
)

// A message's content carries its own identity so every receiver can check
// delivery and latency without any shared state with the sender:
//
//	B<step>.<phase>.<sender>.<seq>.<scheduled unix nanos>.xxxx…
//
// padded with 'x' up to the payload size. The scheduled (not the actual) send
// time is used so a sender held back by a slow server still counts the wait.
type marker struct {
	step   int
	phase  byte // phaseWarmup or phaseMeasure
	sender int
	seq    int
	sentNS int64
}

const (
	phaseWarmup  = 'w'
	phaseMeasure = 'm'
)

var (
	newMessagePrefix = []byte(`42["new_message",`)
	contentKey       = []byte(`"content":"B`)
	errNoMarker      = errors.New("no bench marker in content")
)

// appendContent writes the marker and padding (payload bytes in total when the
// marker is shorter than that).
func appendContent(dst []byte, m marker, payload int) []byte {
	start := len(dst)
	dst = append(dst, 'B')
	dst = strconv.AppendInt(dst, int64(m.step), 10)
	dst = append(dst, '.', m.phase, '.')
	dst = strconv.AppendInt(dst, int64(m.sender), 10)
	dst = append(dst, '.')
	dst = strconv.AppendInt(dst, int64(m.seq), 10)
	dst = append(dst, '.')
	dst = strconv.AppendInt(dst, m.sentNS, 10)
	dst = append(dst, '.')
	for len(dst)-start < payload {
		dst = append(dst, 'x')
	}
	return dst
}

// parseMarker finds the marker in an encoded new_message packet.
func parseMarker(packet []byte) (marker, error) {
	i := bytes.Index(packet, contentKey)
	if i < 0 {
		return marker{}, errNoMarker
	}
	p := packet[i+len(contentKey):]
	var m marker
	var fields [5]int64
	for f := range fields {
		if f == 1 {
			if len(p) < 2 || p[1] != '.' {
				return marker{}, errNoMarker
			}
			m.phase = p[0]
			p = p[2:]
			continue
		}
		var v int64
		n := 0
		for n < len(p) && p[n] >= '0' && p[n] <= '9' {
			v = v*10 + int64(p[n]-'0')
			n++
		}
		if n == 0 || n >= len(p) || p[n] != '.' {
			return marker{}, errNoMarker
		}
		fields[f] = v
		p = p[n+1:]
	}
	m.step, m.sender, m.seq, m.sentNS = int(fields[0]), int(fields[2]), int(fields[3]), fields[4]
	return m, nil
}
