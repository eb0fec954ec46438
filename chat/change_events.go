package chat

import "context"

// Change events: something every view of a room (or of a user) shows changed.
// No door renders them today (doors skip types they do not know); they reach
// every instance through the Hub so what each keeps rendered (history pages,
// history_page.go) is dropped at once.
const (
	// EventRoomChanged: the room's name, description or privacy changed.
	EventRoomChanged EventType = "room_changed"
	// EventUserChanged: Event.User's username or full name changed; RoomID is 0
	// (their messages may be in any room).
	EventUserChanged EventType = "user_changed"
)

func (s *Service) publishRoomChanged(ctx context.Context, roomID int64) {
	s.publish(ctx, Event{Type: EventRoomChanged, RoomID: roomID})
}

func (s *Service) publishUserChanged(ctx context.Context, userID int64) {
	s.publish(ctx, Event{Type: EventUserChanged, User: UserRef{ID: userID}})
}
