package chat

import (
	"context"
	"errors"

	"github.com/izpochat/server/models"
)

// Roles in a room (issue 23.1): its creator is its owner; members are admins
// or members (room_members.role).
const (
	RoleOwner  = "owner"
	RoleAdmin  = models.RoleAdmin
	RoleMember = models.RoleMember
)

// roleIn is userID's role in roomID: owner, admin, member, or "" for someone
// who is not a member (a reader of a public room). Asked afresh of the
// database every time: a role decides what may be changed.
func (s *Service) roleIn(ctx context.Context, roomID, userID int64) (string, error) {
	acc, err := s.store.Access(ctx, roomID, userID)
	if errors.Is(err, models.ErrNotFound) {
		return "", NotFound("room not found")
	}
	if err != nil {
		return "", internal("room role", err)
	}
	if acc.CreatedBy == userID {
		return RoleOwner, nil
	}
	if !acc.Member {
		return "", nil
	}
	role, err := s.store.MemberRole(ctx, roomID, userID)
	if errors.Is(err, models.ErrNotFound) {
		return "", nil // left meanwhile
	}
	if err != nil {
		return "", internal("room role", err)
	}
	return role, nil
}
