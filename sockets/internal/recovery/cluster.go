package sockets

import (
	"net/http"

	"github.com/zishang520/engine.io/v2/engine"
	"github.com/zishang520/socket.io/v2/socket"
)

// clusterRecoveryBuilder is our recovery adapter over the cluster adapter. The
// door's hub emits are local, so every instance records every chat event for
// its own clients: a client that reconnects to the same instance recovers
// without loss; on another instance its session is unknown and it simply
// connects afresh (recovered=false), as without recovery.
type clusterRecoveryBuilder struct {
	recoveryAdapterBuilder
	base socket.AdapterConstructor
}

func (b clusterRecoveryBuilder) New(nsp socket.Namespace) socket.Adapter {
	a := b.recoveryAdapterBuilder.New(nsp).(*recoveryAdapter)
	a.Adapter = b.base.New(nsp)
	return a
}

// routeSessions records sessions started here with the router and sends
// requests for sessions held elsewhere (polling, or the websocket upgrade of a
// polling session) to their instance.
func (d *sioDoor) routeSessions(router SessionRouter, next http.Handler) http.Handler {
	eng := d.io.Engine()
	// Engine.IO emits "connection" synchronously while handling the handshake
	// request, before our handler returns and the answer is flushed, so the
	// session is registered before the client can send its next request.
	_ = eng.On("connection", func(args ...any) {
		conn, ok := args[0].(engine.Socket)
		if !ok {
			return
		}
		sid := conn.Id()
		router.Opened(sid)
		_ = conn.Once("close", func(...any) { router.Closed(sid) })
	})
	clients := eng.Clients()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sid := r.URL.Query().Get("sid")
		if sid == "" {
			next.ServeHTTP(w, r)
			return
		}
		if _, local := clients.Load(sid); local {
			next.ServeHTTP(w, r)
			return
		}
		router.Forward(w, r, sid)
	})
}
