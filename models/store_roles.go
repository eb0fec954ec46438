package models

import (
	"context"
	"fmt"
)

// Roles stored in room_members.role (issue 23.1). A room's owner is its
// creator (rooms.created_by), never stored as a role.
const (
	RoleMember = "member"
	RoleAdmin  = "admin"
)

// MemberRole returns userID's stored role in roomID; ErrNotFound when not a
// member. An empty or unknown stored value (a row older than the column) reads
// as a member.
func (s *Store) MemberRole(ctx context.Context, roomID, userID int64) (string, error) {
	var roles []string
	err := s.with(ctx).Model(&RoomMember{}).Where("room_id = ? AND user_id = ?", roomID, userID).
		Limit(1).Pluck("role", &roles).Error
	if err != nil {
		return "", translate(err, "member role")
	}
	if len(roles) == 0 {
		return "", fmt.Errorf("member role: %w", ErrNotFound)
	}
	if roles[0] != RoleAdmin {
		return RoleMember, nil
	}
	return RoleAdmin, nil
}

// SetMemberRole writes userID's role in roomID; ErrNotFound when not a member.
func (s *Store) SetMemberRole(ctx context.Context, roomID, userID int64, role string) error {
	res := s.with(ctx).Model(&RoomMember{}).Where("room_id = ? AND user_id = ?", roomID, userID).Update("role", role)
	if res.Error == nil && res.RowsAffected == 0 {
		// SQLite and PostgreSQL count a row whose value did not change, so
		// nothing matched: not a member.
		return fmt.Errorf("set member role: %w", ErrNotFound)
	}
	return translate(res.Error, "set member role")
}

// AddMemberRow joins userID to roomID as a member and reports whether it was
// added (false: a member already).
func (s *Store) AddMemberRow(ctx context.Context, roomID, userID int64) (bool, error) {
	res := s.with(ctx).Exec(`INSERT INTO room_members (user_id, room_id, role) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
		userID, roomID, RoleMember)
	if res.Error != nil {
		return false, translate(res.Error, "add member")
	}
	return res.RowsAffected == 1, nil
}

// RemoveMemberRow takes userID out of roomID and reports whether it was a member.
func (s *Store) RemoveMemberRow(ctx context.Context, roomID, userID int64) (bool, error) {
	res := s.with(ctx).Where("room_id = ? AND user_id = ?", roomID, userID).Delete(&RoomMember{})
	if res.Error != nil {
		return false, translate(res.Error, "remove member")
	}
	return res.RowsAffected == 1, nil
}
