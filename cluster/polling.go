package cluster

import (
	"errors"

	"github.com/zishang520/engine.io/v2/types"
)

// ErrPollingNeedsStickySessions is what a client starting with HTTP long-polling
// is told when several instances serve the deployment without sticky sessions.
var ErrPollingNeedsStickySessions = errors.New("HTTP long-polling is not available on this multi-instance " +
	"deployment (no sticky sessions); connect with the websocket transport, e.g. io(url, {transports: [\"websocket\"]})")

// RefusePollingHandshake is an Engine.IO AllowRequest hook for cluster mode.
// Engine.IO calls it for handshakes only (no sid yet): a polling handshake is
// refused with a 403 whose message says what to do, because the requests that
// follow would reach other instances that do not know the session. Websocket
// handshakes live on one TCP connection and work on any instance.
func RefusePollingHandshake(ctx *types.HttpContext) error {
	if ctx.Query().Peek("transport") == "polling" {
		return ErrPollingNeedsStickySessions
	}
	return nil
}
