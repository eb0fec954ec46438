package wstransport

import (
	"bytes"
	"encoding/binary"
	"testing"
)

func TestAppendFrameHeaderForEachLengthClass(t *testing.T) {
	cases := []struct {
		n      int
		header []byte
	}{
		{0, []byte{0x81, 0}},
		{125, []byte{0x81, 125}},
		{126, []byte{0x81, 126, 0, 126}},
		{65535, []byte{0x81, 126, 0xFF, 0xFF}},
		{65536, append([]byte{0x81, 127}, binary.BigEndian.AppendUint64(nil, 65536)...)},
	}
	for _, c := range cases {
		payload := bytes.Repeat([]byte{'a'}, c.n)
		frame := appendFrame([]byte("prefix"), opText, payload)
		if !bytes.HasPrefix(frame, []byte("prefix")) {
			t.Fatalf("n=%d: existing bytes overwritten", c.n)
		}
		frame = frame[len("prefix"):]
		if !bytes.Equal(frame[:len(c.header)], c.header) {
			t.Errorf("n=%d: header = % x, want % x", c.n, frame[:len(c.header)], c.header)
		}
		if !bytes.Equal(frame[len(c.header):], payload) {
			t.Errorf("n=%d: payload not appended intact", c.n)
		}
		if frame[1]&0x80 != 0 {
			t.Errorf("n=%d: server frame must not be masked", c.n)
		}
	}
	if got := appendFrame(nil, opBinary, []byte{1})[0]; got != 0x82 {
		t.Errorf("binary first byte = %#x, want 0x82", got)
	}
}

func TestOptionsDefaultsReplaceInvalidValues(t *testing.T) {
	o := Options{QueueSize: -1, WriteTimeout: -1}.withDefaults()
	if o.QueueSize != DefaultQueueSize || o.WriteTimeout != DefaultWriteTimeout || o.Logger == nil {
		t.Fatalf("defaults not applied: %+v", o)
	}
	o = Options{QueueSize: 7}.withDefaults()
	if o.QueueSize != 7 {
		t.Fatalf("explicit QueueSize replaced: %d", o.QueueSize)
	}
}
