package sockets

import (
	"fmt"

	"github.com/zishang520/socket.io/v2/socket"
)

// RoomNamespaces is how many per-room namespaces exist, as our registry and as
// socket.io (the children of the rooms' parent namespace) count them.
func RoomNamespaces(s *Server) (ours, library int) {
	return s.sio.rooms.count(), s.sio.roomParent.(socket.ParentNamespace).Children().Len()
}

// RoomNamespaceNames lists socket.io's per-room namespaces with their socket
// counts, for failure messages.
func RoomNamespaceNames(s *Server) (names []string) {
	for _, n := range s.sio.roomParent.(socket.ParentNamespace).Children().Keys() {
		names = append(names, fmt.Sprintf("%s(%d sockets)", n.Name(), connectedSockets(n)))
	}
	return names
}
