package recovery

import (
	"testing"

	"github.com/zishang520/socket.io/v2/socket"
)

// A room's member list is built once and reused until membership changes;
// a change drops every room's list.
func TestMemberCacheBuildsListsAgainAfterAChange(t *testing.T) {
	var c memberCache
	loads := map[socket.Room]int{}
	load := func(room socket.Room) []recipient {
		loads[room]++
		return []recipient{{id: socket.SocketId(room)}}
	}
	if got := c.members("r", load); len(got) != 1 || got[0].id != "r" {
		t.Fatalf("members(r) = %v", got)
	}
	c.members("r", load)
	c.members("s", load)
	if loads["r"] != 1 || loads["s"] != 1 {
		t.Fatalf("loads %v: want each room built once while nothing changed", loads)
	}
	c.changed()
	c.members("r", load)
	c.members("s", load)
	if loads["r"] != 2 || loads["s"] != 2 {
		t.Fatalf("loads %v: want every room built again after a change", loads)
	}
}

// A list built while membership changes is not kept: it may predate the change.
func TestMemberCacheDoesNotKeepAListBuiltDuringAChange(t *testing.T) {
	var c memberCache
	loads := 0
	load := func(socket.Room) []recipient {
		loads++
		if loads == 1 {
			c.changed() // a join lands while the list is being built
		}
		return nil
	}
	c.members("r", load)
	c.members("r", load)
	if loads != 2 {
		t.Fatalf("built %d times: the list built during the change was kept", loads)
	}
	c.members("r", load)
	if loads != 2 {
		t.Fatalf("built %d times: the list built after the change was not kept", loads)
	}
}
