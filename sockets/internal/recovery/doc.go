// Package recovery is our connection-state-recovery adapter for socket.io (the
// library's own panics under Go 1.25+). It keeps the packets a namespace
// broadcasts within SOCKETIO_RECOVERY_WINDOW, each encoded once, straight into
// the websocket frame every recipient shares (frame.go, fanout.go), in a ring
// bounded in count and bytes (ring.go), and the sessions of sockets that
// dropped out. A restored session is handed to the doors unauthenticated
// (Pending): the library would rejoin its rooms and replay what it missed
// before any middleware runs, so the door authenticates and re-authorizes the
// socket first and then calls Resume. Legacy clients (EIO=3, Python) get
// broadcasts without the offset argument they cannot take.
package recovery
