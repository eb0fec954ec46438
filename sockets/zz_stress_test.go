package sockets_test

import "testing"

func TestStressConnectThenCall(t *testing.T) {
	a := newApp(t, "sqlite")
	alice := a.register("alice")
	room := a.createRoom(alice, "general", false)
	for i := 0; i < 300; i++ {
		c := mustDial(t, a, dialOpts{auth: map[string]any{"token": alice.Token}})
		c.call("join_room", map[string]any{"room_id": room})
		c.close()
	}
}
