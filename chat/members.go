package chat

import (
	"context"
	"errors"

	"github.com/izpochat/server/models"
)

// Private groups (issue 23.1): the owner and admins add and remove members,
// the owner names admins, anyone may remove themselves, nobody removes the
// owner, and a conversation keeps exactly its two members. Each change is
// stored, then published; a removal from a private room is also an access
// event, so live delivery to the removed user ends at once on every door.
const (
	EventMemberAdded   EventType = "member_added"
	EventMemberRemoved EventType = "member_removed"
	EventRoleChanged   EventType = "role_changed"
)

// MemberChange is what the member events carry.
type MemberChange struct {
	Type     string `json:"type,omitempty"` // the event's name, on the doors whose frames carry it
	RoomID   int64  `json:"room_id"`
	UserID   int64  `json:"user_id"`
	Username string `json:"username"`
	Role     string `json:"role,omitempty"` // added, role_changed: the role it now has
	ByUserID int64  `json:"by_user_id"`
}

// Member is a room's member as the member list shows it.
type Member struct {
	UserPublic
	Role string `json:"role"`
}

// groupRoom loads a room the actor may read whose members may change: not a
// conversation.
func (s *Service) groupRoom(ctx context.Context, a Actor, roomID int64) (*models.Room, error) {
	r, err := s.readableRoom(ctx, a, roomID)
	if err != nil {
		return nil, err
	}
	if r.DMKey != nil {
		return nil, Forbidden("a conversation keeps exactly its two members")
	}
	return r, nil
}

// requireRole checks that the actor holds one of roles in the room.
func (s *Service) requireRole(ctx context.Context, a Actor, roomID int64, refusal string, roles ...string) error {
	role, err := s.roleIn(ctx, roomID, a.ID)
	if err != nil {
		return err
	}
	for _, r := range roles {
		if role == r {
			return nil
		}
	}
	return Forbidden("%s", refusal)
}

// AddMember adds a user to a room (owner or admin).
func (s *Service) AddMember(ctx context.Context, a Actor, roomID, userID int64) (Member, error) {
	r, err := s.groupRoom(ctx, a, roomID)
	if err != nil {
		return Member{}, err
	}
	if err := s.requireRole(ctx, a, r.ID, "only the room's owner or admins may add members", RoleOwner, RoleAdmin); err != nil {
		return Member{}, err
	}
	if userID <= 0 || userID > models.MaxID {
		return Member{}, NotFound("user not found")
	}
	u, err := s.store.UserByID(ctx, userID)
	if errors.Is(err, models.ErrNotFound) {
		return Member{}, NotFound("user not found")
	}
	if err != nil {
		return Member{}, internal("add member", err)
	}
	added, err := s.store.AddMemberRow(ctx, r.ID, u.ID)
	s.access.forgetMember(r.ID, u.ID)
	if err != nil {
		return Member{}, internal("add member", err)
	}
	if !added {
		return Member{}, Conflict("the user is a member already")
	}
	// Other instances' caches may still say "not a member": an access event
	// makes them forget (it cuts nobody off, see AccessChange.Revokes).
	s.publishAccess(ctx, r.ID, AccessChange{Reason: ReasonMemberAdded, Users: []int64{u.ID}})
	// To the room, and to the added user wherever they are connected (issue
	// 23.6): they are not in the room's live delivery yet.
	s.publish(ctx, Event{Type: EventMemberAdded, RoomID: r.ID, User: a.Ref(), ToUser: u.ID,
		Member: &MemberChange{RoomID: r.ID, UserID: u.ID, Username: u.Username, Role: RoleMember, ByUserID: a.ID}})
	return Member{UserPublic: publicView(u), Role: RoleMember}, nil
}

// RemoveMember takes a user out of a room: the owner or an admin may remove
// anyone but the owner; anyone may remove themselves.
func (s *Service) RemoveMember(ctx context.Context, a Actor, roomID, userID int64) error {
	r, err := s.groupRoom(ctx, a, roomID)
	if err != nil {
		return err
	}
	if userID == r.CreatedBy {
		return Forbidden("the room's owner cannot be removed")
	}
	if userID != a.ID {
		if err := s.requireRole(ctx, a, r.ID, "only the room's owner or admins may remove members", RoleOwner, RoleAdmin); err != nil {
			return err
		}
	}
	var username string
	if userID > 0 && userID <= models.MaxID {
		if u, err := s.store.UserByID(ctx, userID); err == nil {
			username = u.Username
		}
	}
	removed, err := s.store.RemoveMemberRow(ctx, r.ID, userID)
	s.access.forgetMember(r.ID, userID)
	if err != nil {
		return internal("remove member", err)
	}
	if !removed {
		return NotFound("the user is not a member of this room")
	}
	s.publish(ctx, Event{Type: EventMemberRemoved, RoomID: r.ID, User: a.Ref(),
		Member: &MemberChange{RoomID: r.ID, UserID: userID, Username: username, ByUserID: a.ID}})
	reason := ReasonRemoved
	if userID == a.ID {
		reason = ReasonLeft
	}
	if r.IsPrivate {
		// Only in a private room does membership decide reading: the removed
		// user's connections there end now, on every door and instance.
		s.publishAccess(ctx, r.ID, AccessChange{Reason: reason, Users: []int64{userID}})
	}
	return nil
}

// SetRole makes a member an admin or a member again (owner only).
func (s *Service) SetRole(ctx context.Context, a Actor, roomID, userID int64, role string) (Member, error) {
	if role != RoleAdmin && role != RoleMember {
		return Member{}, Invalid("role must be %q or %q", RoleAdmin, RoleMember)
	}
	r, err := s.groupRoom(ctx, a, roomID)
	if err != nil {
		return Member{}, err
	}
	if err := s.requireRole(ctx, a, r.ID, "only the room's owner may change roles", RoleOwner); err != nil {
		return Member{}, err
	}
	if userID == r.CreatedBy {
		return Member{}, Invalid("the owner's role cannot change")
	}
	if userID <= 0 || userID > models.MaxID {
		return Member{}, NotFound("the user is not a member of this room")
	}
	u, err := s.store.UserByID(ctx, userID)
	if errors.Is(err, models.ErrNotFound) {
		return Member{}, NotFound("the user is not a member of this room")
	}
	if err != nil {
		return Member{}, internal("set role", err)
	}
	if err := s.store.SetMemberRole(ctx, r.ID, u.ID, role); err != nil {
		if errors.Is(err, models.ErrNotFound) {
			return Member{}, NotFound("the user is not a member of this room")
		}
		return Member{}, internal("set role", err)
	}
	s.publish(ctx, Event{Type: EventRoleChanged, RoomID: r.ID, User: a.Ref(),
		Member: &MemberChange{RoomID: r.ID, UserID: u.ID, Username: u.Username, Role: role, ByUserID: a.ID}})
	return Member{UserPublic: publicView(u), Role: role}, nil
}

// memberRole is the role a membership row shows: owner for the room's creator.
func memberRole(createdBy, userID int64, stored string) string {
	if userID == createdBy {
		return RoleOwner
	}
	if stored == RoleAdmin {
		return RoleAdmin
	}
	return RoleMember
}
