package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// CreateRoom inserts room and its first members in one transaction.
func (s *Store) CreateRoom(ctx context.Context, room *Room, memberIDs ...int64) error {
	return translate(s.with(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Omit(clause.Associations).Create(room).Error; err != nil {
			return err
		}
		return addMembers(tx, room.ID, memberIDs)
	}), "create room")
}

// FindOrCreateDM returns the room whose dm_key is room.DMKey, creating it with the
// members when it does not exist. The unique dm_key decides a race: the loser's insert
// does nothing and it reads the winner's room.
func (s *Store) FindOrCreateDM(ctx context.Context, room *Room, memberIDs ...int64) (created bool, err error) {
	err = s.with(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Omit(clause.Associations).
			Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "dm_key"}}, DoNothing: true}).
			Create(room)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 1 {
			created = true
			return addMembers(tx, room.ID, memberIDs)
		}
		return tx.Where("dm_key = ?", *room.DMKey).Take(room).Error
	})
	return created, translate(err, "find or create conversation")
}

func addMembers(tx *gorm.DB, roomID int64, userIDs []int64) error {
	if len(userIDs) == 0 {
		return nil
	}
	rows := make([]RoomMember, 0, len(userIDs))
	for _, id := range userIDs {
		rows = append(rows, RoomMember{UserID: id, RoomID: roomID, Role: RoleMember})
	}
	return tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&rows).Error
}

// RoomByID loads a room with its creator.
func (s *Store) RoomByID(ctx context.Context, id int64) (*Room, error) {
	var r Room
	if !validID(id) {
		return &r, fmt.Errorf("room by id: %w", ErrNotFound)
	}
	err := s.with(ctx).Preload("Creator").Where("id = ?", id).Take(&r).Error
	return &r, translate(err, "room by id")
}

// VisibleRooms lists public rooms plus the private rooms userID belongs to
// (userID 0: public rooms only), oldest first: limit of them (0: all) after
// skipping skip.
func (s *Store) VisibleRooms(ctx context.Context, userID int64, skip, limit int) ([]Room, error) {
	var rooms []Room
	q := s.with(ctx).Preload("Creator").Order("id")
	if skip > 0 {
		q = q.Offset(skip)
	}
	if limit > 0 {
		q = q.Limit(limit)
	}
	// The Flask schema lets is_private be NULL; such a room reads as public, so it is listed as public.
	if userID == 0 {
		q = q.Where("is_private = ? OR is_private IS NULL", false)
	} else {
		q = q.Where("is_private = ? OR is_private IS NULL OR id IN (?)", false,
			s.db.Model(&RoomMember{}).Select("room_id").Where("user_id = ?", userID))
	}
	err := q.Find(&rooms).Error
	return rooms, translate(err, "visible rooms")
}

// RoomsOfMember lists the rooms userID belongs to, oldest first.
func (s *Store) RoomsOfMember(ctx context.Context, userID int64) ([]Room, error) {
	var rooms []Room
	err := s.with(ctx).Preload("Creator").
		Where("id IN (?)", s.db.Model(&RoomMember{}).Select("room_id").Where("user_id = ?", userID)).
		Order("id").Find(&rooms).Error
	return rooms, translate(err, "rooms of member")
}

// UpdateRoom writes the given columns of room id.
func (s *Store) UpdateRoom(ctx context.Context, id int64, columns map[string]any) error {
	if len(columns) == 0 {
		return nil
	}
	return translate(s.with(ctx).Model(&Room{}).Where("id = ?", id).Updates(columns).Error, "update room")
}

// DeleteRoom removes a room with its messages, memberships and its files' rows,
// in one transaction, and returns the object keys of those files. The keys are
// recorded in file_deletions in the same transaction, so they stay refused at
// the plain file URL until the caller has removed the objects and called
// ForgetFileDeletions. Done by hand because the Flask schema has no cascades on
// messages (and its file_uploads.room_id would only be set NULL).
func (s *Store) DeleteRoom(ctx context.Context, id int64) (keys []string, err error) {
	err = s.with(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(&FileUpload{}).Where("room_id = ?", id).Order("id").Pluck("filename", &keys).Error; err != nil {
			return err
		}
		if len(keys) > 0 {
			now := time.Now().UTC()
			pending := make([]FileDeletion, 0, len(keys))
			for _, k := range keys {
				pending = append(pending, FileDeletion{Filename: k, CreatedAt: now})
			}
			if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&pending).Error; err != nil {
				return err
			}
		}
		if err := deleteRoomReactions(tx, id); err != nil {
			return err
		}
		if err := deleteRoomMentions(tx, id); err != nil {
			return err
		}
		if err := tx.Where("room_id = ?", id).Delete(&Message{}).Error; err != nil {
			return err
		}
		if err := tx.Where("room_id = ?", id).Delete(&FileUpload{}).Error; err != nil {
			return err
		}
		if err := tx.Where("room_id = ?", id).Delete(&RoomMember{}).Error; err != nil {
			return err
		}
		if err := tx.Where("room_id = ?", id).Delete(&RoomRead{}).Error; err != nil { // read state (store_reads.go)
			return err
		}
		res := tx.Where("id = ?", id).Delete(&Room{})
		if res.Error == nil && res.RowsAffected == 0 {
			return gorm.ErrRecordNotFound
		}
		return res.Error
	})
	if err != nil {
		return nil, translate(err, "delete room")
	}
	return keys, nil
}

// IsMember tells whether userID belongs to roomID.
func (s *Store) IsMember(ctx context.Context, roomID, userID int64) (bool, error) {
	var n int64
	err := s.with(ctx).Model(&RoomMember{}).Where("room_id = ? AND user_id = ?", roomID, userID).Count(&n).Error
	return n > 0, translate(err, "is member")
}

// AddMember joins userID to roomID; joining twice is not an error.
func (s *Store) AddMember(ctx context.Context, roomID, userID int64) error {
	return translate(addMembers(s.with(ctx), roomID, []int64{userID}), "add member")
}

// RemoveMember takes userID out of roomID.
func (s *Store) RemoveMember(ctx context.Context, roomID, userID int64) error {
	return translate(s.with(ctx).Where("room_id = ? AND user_id = ?", roomID, userID).Delete(&RoomMember{}).Error, "remove member")
}

// Members lists up to limit members of roomID (limit <= 0: all), by user id.
func (s *Store) Members(ctx context.Context, roomID int64, limit int) ([]User, error) {
	var users []User
	q := s.with(ctx).Where("id IN (?)", s.db.Model(&RoomMember{}).Select("user_id").Where("room_id = ?", roomID)).Order("id")
	if limit > 0 {
		q = q.Limit(limit)
	}
	err := q.Find(&users).Error
	return users, translate(err, "members")
}

// MemberIDs lists the user ids of roomID's members.
func (s *Store) MemberIDs(ctx context.Context, roomID int64) ([]int64, error) {
	var ids []int64
	err := s.with(ctx).Model(&RoomMember{}).Where("room_id = ?", roomID).Order("user_id").Pluck("user_id", &ids).Error
	return ids, translate(err, "member ids")
}

// RoomMembership is one member of one room, for building several rooms at once.
type RoomMembership struct {
	RoomID int64
	Role   string `gorm:"column:member_role"` // room_members.role; the owner is the room's created_by
	User
}

// MembersOfRooms loads, in one query, the members of every room in roomIDs.
func (s *Store) MembersOfRooms(ctx context.Context, roomIDs []int64) ([]RoomMembership, error) {
	var rows []RoomMembership
	if len(roomIDs) == 0 {
		return rows, nil
	}
	err := s.with(ctx).Table("room_members").
		Select("room_members.room_id, room_members.role AS member_role, users.*").
		Joins("JOIN users ON users.id = room_members.user_id").
		Where("room_members.room_id IN ?", roomIDs).
		Order("room_members.room_id, users.id").
		Scan(&rows).Error
	return rows, translate(err, "members of rooms")
}

// RoomAccess is what the read rule needs to know about a room and one user.
type RoomAccess struct {
	Name         string // shown in messages' room{id, name}
	IsPrivate    bool
	CreatedBy    int64
	Member       bool
	Conversation bool // a one-to-one room (dm_key set)
}

// Access reads, in one statement, whether roomID is private and whether userID
// belongs to it: the question every post, read and join asks.
func (s *Store) Access(ctx context.Context, roomID, userID int64) (RoomAccess, error) {
	var acc RoomAccess
	if !validID(roomID) {
		return acc, fmt.Errorf("room access: %w", ErrNotFound)
	}
	res := s.with(ctx).Raw(`SELECT r.name, COALESCE(r.is_private, ?) AS is_private, COALESCE(r.created_by, 0) AS created_by,
		r.dm_key IS NOT NULL AS conversation,
		EXISTS (SELECT 1 FROM room_members m WHERE m.room_id = r.id AND m.user_id = ?) AS member
		FROM rooms r WHERE r.id = ?`, false, userID, roomID).Scan(&acc)
	if res.Error != nil {
		return acc, translate(res.Error, "room access")
	}
	if res.RowsAffected == 0 {
		return acc, fmt.Errorf("room access: %w", ErrNotFound)
	}
	return acc, nil
}
