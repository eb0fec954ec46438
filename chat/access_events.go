package chat

import (
	"context"
	"slices"
)

// Access events: a change of who may read a room, or of whether a user's
// sessions still hold, is published through the Hub like a message, so every
// door on every instance ends live delivery at once and every instance's
// access cache forgets what it knew (Hub.deliver runs the domain's observer
// before the doors' listeners).
const (
	// EventAccessChanged: Event.Access says whose access to Event.RoomID changed.
	EventAccessChanged EventType = "access_changed"
	// EventSessionsEnded: every live connection of Event.User ends (Event.Access
	// says why); RoomID is 0.
	EventSessionsEnded EventType = "sessions_ended"
)

// AccessReason says why access changed.
type AccessReason string

const (
	ReasonLeft            AccessReason = "left"             // the user left the room
	ReasonRemoved         AccessReason = "removed"          // the user was taken out of the room
	ReasonRoomPrivate     AccessReason = "room_private"     // the room became private: non-members lost it
	ReasonRoomDeleted     AccessReason = "room_deleted"     // the room is gone: everyone lost it
	ReasonUserDeleted     AccessReason = "user_deleted"     // the account is gone
	ReasonPasswordChanged AccessReason = "password_changed" // older tokens no longer hold
	// The room became public: other instances' caches forget, nobody is cut off.
	ReasonRoomPublic AccessReason = "room_public"
	// A user was added to the room (members.go): caches forget, nobody is cut off.
	ReasonMemberAdded AccessReason = "member_added"
)

// AccessChange is what an access event carries: whose access to the room changed.
type AccessChange struct {
	Reason AccessReason `json:"reason"`
	// Users are the users concerned (left, removed, sessions ended).
	Users []int64 `json:"users,omitempty"`
	// AllUsers: the change concerns everyone in the room except Keep (the room
	// became private: Keep are its members; deleted: Keep is empty).
	AllUsers bool    `json:"all_users,omitempty"`
	Keep     []int64 `json:"keep,omitempty"`
}

// Revokes reports whether userID lost access through this change. Doors ask
// it of each connection they hold; the rule itself lives here.
func (c *AccessChange) Revokes(userID int64) bool {
	if c == nil {
		return false
	}
	switch c.Reason {
	case ReasonRoomPublic, ReasonMemberAdded:
		return false
	}
	if c.AllUsers {
		return !slices.Contains(c.Keep, userID)
	}
	return slices.Contains(c.Users, userID)
}

// Notice is the text a cut-off client is told.
func (c *AccessChange) Notice() string {
	if c == nil {
		return "access to this room ended"
	}
	switch c.Reason {
	case ReasonLeft:
		return "you left this room"
	case ReasonRemoved:
		return "you were removed from this room"
	case ReasonRoomPrivate:
		return "this room became private and you are not a member"
	case ReasonRoomDeleted:
		return "this room was deleted"
	case ReasonUserDeleted:
		return "this account was deleted"
	case ReasonPasswordChanged:
		return "the password was changed: log in again"
	}
	return "access to this room ended"
}

// Code is the error code doors send with the notice.
func (c *AccessChange) Code() string {
	if c != nil && (c.Reason == ReasonPasswordChanged || c.Reason == ReasonUserDeleted) {
		return "session_ended"
	}
	return "access_revoked"
}

// observe keeps this instance's access cache in step with access events of
// every instance, before any door sees them.
func (s *Service) observe(ev Event) {
	switch ev.Type {
	case EventAccessChanged:
		if ev.Access == nil || ev.Access.AllUsers {
			s.access.forgetRoom(ev.RoomID)
			return
		}
		for _, uid := range ev.Access.Users {
			s.access.forgetMember(ev.RoomID, uid)
		}
	case EventSessionsEnded:
		// Access answers do not depend on the token; nothing cached to drop.
	}
}

// publishAccess tells every instance that access to roomID changed.
func (s *Service) publishAccess(ctx context.Context, roomID int64, change AccessChange) {
	s.publish(ctx, Event{Type: EventAccessChanged, RoomID: roomID, Access: &change})
}

// EndSessions ends every live connection of userID on every door and instance
// (a password change, an account deleted): the doors disconnect them with the
// reason. Tokens themselves are checked by Authenticate; this only cuts what is
// already connected.
func (s *Service) EndSessions(ctx context.Context, userID int64, reason AccessReason) {
	s.publish(ctx, Event{Type: EventSessionsEnded, User: UserRef{ID: userID},
		Access: &AccessChange{Reason: reason, Users: []int64{userID}}})
}
