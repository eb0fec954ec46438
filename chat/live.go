package chat

import "context"

// EnterRoom puts a live connection of the actor into a room it may read and
// returns who is online there. The user's first connection announces them to the
// room on every door (except connID itself).
func (s *Service) EnterRoom(ctx context.Context, a Actor, roomID int64, connID string) ([]UserRef, error) {
	if err := s.checkAccess(ctx, a, roomID); err != nil {
		return nil, err
	}
	first, err := s.presence.Enter(ctx, roomID, a.Ref(), connID)
	if err != nil {
		return nil, Wrap(KindUnavailable, "presence unavailable", err)
	}
	if first {
		s.publish(ctx, Event{Type: EventUserJoined, RoomID: roomID, User: a.Ref(), ExceptConn: connID})
	}
	return s.OnlineUsers(ctx, roomID)
}

// ExitRoom takes a live connection out of a room. The user is announced as gone
// when it was their last connection there, or always when announce is set (an
// explicit leave).
func (s *Service) ExitRoom(ctx context.Context, a Actor, roomID int64, connID string, announce bool) {
	last, err := s.presence.Leave(ctx, roomID, a.ID, connID)
	if err != nil {
		s.log.WarnContext(ctx, "presence leave failed", "room_id", roomID, "user_id", a.ID, "err", err)
	}
	if last || announce {
		s.publish(ctx, Event{Type: EventUserLeft, RoomID: roomID, User: a.Ref(), ExceptConn: connID})
	}
}

// Typing tells the room's other connections that the actor is (not) typing.
func (s *Service) Typing(ctx context.Context, a Actor, roomID int64, typing bool, connID string) error {
	if err := s.checkAccess(ctx, a, roomID); err != nil {
		return err
	}
	s.publish(ctx, Event{Type: EventTyping, RoomID: roomID, User: a.Ref(), Typing: typing, ExceptConn: connID})
	return nil
}

// OnlineUsers lists who is online in a room.
func (s *Service) OnlineUsers(ctx context.Context, roomID int64) ([]UserRef, error) {
	users, err := s.presence.Online(ctx, roomID)
	if err != nil {
		return nil, Wrap(KindUnavailable, "presence unavailable", err)
	}
	return users, nil
}

// Online shows a reader who is online in a room.
func (s *Service) Online(ctx context.Context, a Actor, roomID int64) ([]UserRef, error) {
	if err := s.checkAccess(ctx, a, roomID); err != nil {
		return nil, err
	}
	return s.OnlineUsers(ctx, roomID)
}
