package sockets

// RoomNamespaces is how many per-room namespaces exist, as our registry and as
// socket.io (the children of the rooms' parent namespace) count them.
func RoomNamespaces(s *Server) (ours, library int) {
	ours, library, _ = s.sio.io.CountRoomNamespaces()
	return ours, library
}

// RoomNamespaceNames lists socket.io's per-room namespaces with their socket
// counts, for failure messages.
func RoomNamespaceNames(s *Server) (names []string) {
	_, _, names = s.sio.io.CountRoomNamespaces()
	return names
}
