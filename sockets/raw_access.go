package sockets

import (
	"encoding/json"

	ws "github.com/gorilla/websocket"

	"github.com/izpochat/server/chat"
	"github.com/izpochat/server/sockets/events"
)

// revoke applies an access event to this instance's raw clients: each whose
// user lost access to the room (chat says who), or every one of the user whose
// sessions ended, is taken out of delivery at once, gets an error frame with
// the reason, then close 1008. Its read loop then leaves the room's presence,
// off the hub's goroutine.
func (d *rawDoor) revoke(ev chat.Event) {
	change := ev.Access
	if change == nil {
		return
	}
	var cut []*rawConn
	d.mu.Lock()
	for roomID, set := range d.rooms {
		if ev.Type == chat.EventAccessChanged && roomID != ev.RoomID {
			continue
		}
		for c := range set {
			if change.Revokes(c.actor.ID) {
				delete(set, c)
				d.dropUser(c) // nor its user's events: it is closing
				cut = append(cut, c)
			}
		}
		if len(set) == 0 {
			delete(d.rooms, roomID)
		}
	}
	d.mu.Unlock()
	for _, c := range cut {
		notice, err := json.Marshal(revokedOf(events.Error, c.roomID, change))
		if err != nil {
			d.log.Error("encode raw websocket notice", "err", err)
			notice = nil
		}
		c.closeWithNotice(notice, ws.ClosePolicyViolation, change.Notice())
		d.opts.Metrics.EventOut(events.Error)
	}
}
