package chat

import (
	"context"
	"errors"

	"github.com/izpochat/server/models"
)

// Read state and receipts (issue 23.5). Each reader of a room has a marker:
// the newest message id it has read there. It only moves forward (an older id
// is accepted and changes nothing); each move is stored, then published as a
// read event to the room on every door and instance. Rooms a user lists show
// its last_read_id and unread_count: others' live messages after the marker
// (every one when the user never marked the room: last_read_id null), counted
// up to MaxUnreadCounted. Read state is per caller: it is never part of a
// Message, so the history pages kept rendered for every caller
// (history_cache.go) stay free of it.

// EventRead: Event.Read is the marker that moved.
const EventRead EventType = "read"

// MaxUnreadCounted is where unread_count stops: a room with this many unread
// messages or more shows this many ("100+" to a client). The bound is what
// keeps listing 200 rooms cheap over millions of messages (bench/unread).
const MaxUnreadCounted = 100

// maxReadsListed bounds GET /api/rooms/{id}/reads (the furthest first).
const maxReadsListed = 1000

// ReadMark is what the read event carries: who read how far in which room.
type ReadMark struct {
	Type      string `json:"type,omitempty"` // "read" on the doors whose frames carry their type
	RoomID    int64  `json:"room_id"`
	UserID    int64  `json:"user_id"`
	MessageID int64  `json:"message_id"`
}

// ReadState is the caller's read state of one room, as marking answers it.
type ReadState struct {
	RoomID      int64  `json:"room_id"`
	UserID      int64  `json:"user_id"`
	LastReadID  *int64 `json:"last_read_id"`
	UnreadCount int    `json:"unread_count"`
}

// RoomReader is one entry of a room's read receipts.
type RoomReader struct {
	UserID     int64 `json:"user_id"`
	LastReadID int64 `json:"last_read_id"`
}

// MarkRead moves the actor's marker in roomID to messageID, a message of that
// room (deleted or not: the id only says how far). An older id than the
// marker's is accepted and moves nothing; the answer is the state after.
func (s *Service) MarkRead(ctx context.Context, a Actor, roomID, messageID int64) (ReadState, error) {
	if err := s.checkAccess(ctx, a, roomID); err != nil {
		return ReadState{}, err
	}
	if messageID <= 0 {
		return ReadState{}, Invalid("message_id must be a positive integer")
	}
	msgRoom, err := s.store.MessageRoom(ctx, messageID)
	if errors.Is(err, models.ErrNotFound) {
		return ReadState{}, NotFound("message not found")
	}
	if err != nil {
		return ReadState{}, internal("mark read", err)
	}
	if msgRoom != roomID {
		return ReadState{}, Invalid("the message is not in this room")
	}
	moved, err := s.store.MarkRead(ctx, roomID, a.ID, messageID, Now())
	if err != nil {
		return ReadState{}, internal("mark read", err)
	}
	if moved {
		s.publish(ctx, Event{Type: EventRead, RoomID: roomID, User: a.Ref(),
			Read: &ReadMark{RoomID: roomID, UserID: a.ID, MessageID: messageID}})
	}
	states, err := s.store.UnreadStates(ctx, a.ID, []int64{roomID}, MaxUnreadCounted)
	if err != nil {
		return ReadState{}, internal("read state", err)
	}
	st := states[roomID]
	return ReadState{RoomID: roomID, UserID: a.ID, LastReadID: st.LastReadID, UnreadCount: st.Unread}, nil
}

// Reads lists a room's read receipts to a reader: each reader's marker, the
// furthest first (at most maxReadsListed). In a private room only its current
// members are listed.
func (s *Service) Reads(ctx context.Context, a Actor, roomID int64) ([]RoomReader, error) {
	acc, err := s.roomAccess(ctx, a, roomID)
	if err != nil {
		return nil, err
	}
	rows, err := s.store.ReadMarkers(ctx, roomID, acc.IsPrivate, maxReadsListed)
	if err != nil {
		return nil, internal("read receipts", err)
	}
	out := make([]RoomReader, 0, len(rows))
	for _, r := range rows {
		out = append(out, RoomReader{UserID: r.UserID, LastReadID: r.LastReadID})
	}
	return out, nil
}

// unreadStates reads viewerID's read state of rooms ids in one statement
// (none for nobody signed in).
func (s *Service) unreadStates(ctx context.Context, viewerID int64, ids []int64) (map[int64]models.ReadState, error) {
	if viewerID == 0 || len(ids) == 0 {
		return nil, nil
	}
	states, err := s.store.UnreadStates(ctx, viewerID, ids, MaxUnreadCounted)
	if err != nil {
		return nil, internal("unread counts", err)
	}
	return states, nil
}

// readFields sets a listed room's last_read_id and unread_count from states
// (nil: nobody signed in, both stay null).
func readFields(states map[int64]models.ReadState, roomID int64) (lastReadID *int64, unread *int) {
	if states == nil {
		return nil, nil
	}
	st := states[roomID]
	n := st.Unread
	return st.LastReadID, &n
}
