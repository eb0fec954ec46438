// Package sio is our Socket.IO layer: the library (zishang520/socket.io, whose
// version and workarounds sockets/internal/README.md lists) assembled with the
// parts that replace or bound what it does (ordering, recovery, namespaces,
// connectgate, sendqueue, release, workers, and the transport
// sockets/wstransport), behind the small API the doors use: namespace handlers
// (Of, OfRooms: admit a CONNECT, connected and disconnected hooks where the
// doors enter and leave presence, a table of client events run in arrival
// order), Emit to one socket, EmitToRoom, ToRoom (a local broadcast to a room
// with an exception), SocketsIn, Conn.Resume for a recovered session, and
// Drain. The doors never reach past it into the library's adapter or the parts.
package sio
