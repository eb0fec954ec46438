//go:build !linux

package wstransport

import "log/slog"

// poller is available on Linux only (epoll); elsewhere every transport reads
// with a goroutine of its own.
type poller struct{}

func newPoller(*slog.Logger) *poller { return nil }

func (p *poller) watch(*transport) bool { return false }
