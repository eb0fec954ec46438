// Package sockets holds the real-time doors: Socket.IO (main namespace "/", its
// alias "/socket.io", and the per-room namespaces "/rooms/<id>") and the raw
// WebSocket at /api/ws/{room_id}. Each door translates client frames into calls of
// chat.Service and renders the hub's chat.Events for its own local clients; none
// decides policy. The Socket.IO door (sio_*.go) works through our Socket.IO
// layer, sockets/internal/sio, and never reaches into the library's parts; the
// library's workarounds live under sockets/internal (see its README.md). Event
// names come from sockets/events.
package sockets
