package sockets_test

import (
	"testing"
	"time"
)

// TestSessionClosingWhileUpgradingIsOrdered: a polling session whose upgrade
// probe is open (probed with "2probe", never upgraded with "5") while the
// client drops the probe and the server shuts down at once. engine.io v2.5.0
// clears the probe in a variable both closes touch (MaybeUpgrade); under -race
// this failed about one round in twenty until the probes went quiet on the
// session's close (wstransport/probe.go).
func TestSessionClosingWhileUpgradingIsOrdered(t *testing.T) {
	for i := 0; i < 40; i++ {
		t.Run("round", func(t *testing.T) {
			a := newApp(t, "sqlite")
			conn := openPollingClient(t, a.srv.URL).Probe()
			// Vary the gap so the probe's close and the shutdown's overlap differently.
			time.Sleep(time.Duration(i%5) * time.Millisecond)
			conn.Close()
			// The round ends here: the harness shuts the server down.
		})
	}
}
