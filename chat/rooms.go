package chat

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/izpochat/server/models"
)

// RoomInput creates or updates a room (nil: unchanged on update).
type RoomInput struct {
	Name        *string
	Description *string
	IsPrivate   *bool
}

// loadRoom finds a room, as a NotFound error when it does not exist.
func (s *Service) loadRoom(ctx context.Context, roomID int64) (*models.Room, error) {
	if roomID <= 0 {
		return nil, NotFound("room not found")
	}
	r, err := s.store.RoomByID(ctx, roomID)
	if errors.Is(err, models.ErrNotFound) {
		return nil, NotFound("room not found")
	}
	if err != nil {
		return nil, internal("load room", err)
	}
	return r, nil
}

// checkAccess is the one rule for reading and posting on every door: a public
// room is open to everyone, a private one to its members. One query, whose answer
// is reused for a short while (see accessCache).
func (s *Service) checkAccess(ctx context.Context, a Actor, roomID int64) error {
	_, err := s.roomAccess(ctx, a, roomID)
	return err
}

// roomAccess is checkAccess that also tells what it knows of the room.
func (s *Service) roomAccess(ctx context.Context, a Actor, roomID int64) (models.RoomAccess, error) {
	if roomID <= 0 {
		return models.RoomAccess{}, NotFound("room not found")
	}
	acc, gen, cached := s.access.get(roomID, a.ID)
	if !cached {
		var err error
		acc, err = s.store.Access(ctx, roomID, a.ID)
		if errors.Is(err, models.ErrNotFound) {
			return acc, NotFound("room not found")
		}
		if err != nil {
			return acc, internal("check room access", err)
		}
		// A conversation is private to its two members whatever its flag says
		// (one may have been flipped before privacy changes were refused).
		acc.IsPrivate = acc.IsPrivate || acc.Conversation
		s.access.put(roomID, a.ID, acc, gen)
	}
	if !mayRead(acc) {
		return acc, Forbidden("you are not a member of this private room")
	}
	return acc, nil
}

// mayRead is the read rule itself, for one room and one user (IsPrivate
// already counting a conversation as private): roomAccess applies it to one
// room, a search to every room it covers.
func mayRead(acc models.RoomAccess) bool { return !acc.IsPrivate || acc.Member }

// readableRoom loads, with its creator, a room the actor may read.
func (s *Service) readableRoom(ctx context.Context, a Actor, roomID int64) (*models.Room, error) {
	if err := s.checkAccess(ctx, a, roomID); err != nil {
		return nil, err
	}
	return s.loadRoom(ctx, roomID)
}

// CanRead reports whether the actor may read and post in roomID (nil when it may).
func (s *Service) CanRead(ctx context.Context, a Actor, roomID int64) error {
	return s.checkAccess(ctx, a, roomID)
}

// roomViews builds Room objects with creator and members, in two queries whatever
// the number of rooms.
// viewerID (0: nobody signed in) is whose my_role each room shows.
func (s *Service) roomViews(ctx context.Context, rooms []models.Room, viewerID int64) ([]Room, error) {
	ids := make([]int64, len(rooms))
	for i := range rooms {
		ids[i] = rooms[i].ID
	}
	memberships, err := s.store.MembersOfRooms(ctx, ids)
	if err != nil {
		return nil, internal("room members", err)
	}
	activity, err := s.store.RoomsActivity(ctx, ids)
	if err != nil {
		return nil, internal("rooms activity", err)
	}
	reads, err := s.unreadStates(ctx, viewerID, ids)
	if err != nil {
		return nil, err
	}
	creators := make(map[int64]int64, len(rooms))
	for i := range rooms {
		creators[rooms[i].ID] = rooms[i].CreatedBy
	}
	members := make(map[int64][]Member, len(rooms))
	counts := make(map[int64]int, len(rooms))
	myRoles := make(map[int64]string)
	for i := range memberships {
		m := &memberships[i]
		counts[m.RoomID]++
		role := memberRole(creators[m.RoomID], m.User.ID, m.Role)
		if viewerID != 0 && m.User.ID == viewerID {
			myRoles[m.RoomID] = role
		}
		if len(members[m.RoomID]) < s.limits.MaxMembersListed {
			members[m.RoomID] = append(members[m.RoomID], Member{UserPublic: publicView(&m.User), Role: role})
		}
	}
	out := make([]Room, 0, len(rooms))
	for i := range rooms {
		r := &rooms[i]
		list := members[r.ID]
		if list == nil {
			list = []Member{}
		}
		view := Room{
			ID: r.ID, Name: r.Name, Description: deref(r.Description), IsPrivate: r.IsPrivate,
			CreatedAt: Time(r.CreatedAt), CreatedBy: creatorID(r.CreatedBy), Creator: refView(r.Creator),
			MemberCount: counts[r.ID], Members: list,
		}
		ownerAliases(&view, activity, r)
		if role, ok := myRoles[r.ID]; ok {
			view.MyRole = &role
		}
		view.LastReadID, view.UnreadCount = readFields(reads, r.ID)
		out = append(out, view)
	}
	return out, nil
}

// ownerAliases fills the FastAPI generation's names of a room view: owner_id and
// owner are created_by and creator (null when unknown), updated_at its last
// activity (see Room).
func ownerAliases(v *Room, activity map[int64]time.Time, r *models.Room) {
	if r.CreatedBy > 0 {
		id := r.CreatedBy
		v.OwnerID = &id
	}
	v.Owner = v.Creator
	v.UpdatedAt = v.CreatedAt
	if at, ok := activity[r.ID]; ok && at.After(r.CreatedAt) {
		v.UpdatedAt = Time(at)
	}
}

func (s *Service) roomView(ctx context.Context, r *models.Room, viewerID int64) (Room, error) {
	views, err := s.roomViews(ctx, []models.Room{*r}, viewerID)
	if err != nil {
		return Room{}, err
	}
	return views[0], nil
}

// RoomQuery pages the room list. Zero values mean "not set": all rooms.
type RoomQuery struct {
	Skip  int
	Limit int
}

// Rooms lists public rooms plus the caller's private rooms (a nil actor: public
// only), oldest first, paged by q.
func (s *Service) Rooms(ctx context.Context, a *Actor, q RoomQuery) ([]Room, error) {
	if q.Skip < 0 || q.Limit < 0 {
		return nil, Invalid("skip and limit must not be negative")
	}
	var uid int64
	if a != nil {
		uid = a.ID
	}
	rooms, err := s.store.VisibleRooms(ctx, uid, q.Skip, q.Limit)
	if err != nil {
		return nil, internal("list rooms", err)
	}
	return s.roomViews(ctx, rooms, uid)
}

// MyRooms lists the rooms the caller belongs to.
func (s *Service) MyRooms(ctx context.Context, a Actor) ([]Room, error) {
	rooms, err := s.store.RoomsOfMember(ctx, a.ID)
	if err != nil {
		return nil, internal("my rooms", err)
	}
	return s.roomViews(ctx, rooms, a.ID)
}

// maxRoomName is the longest room name this server accepts; a database taken
// over from an older schema may hold less (roomNameMax).
const maxRoomName = 150

// roomNameMax is the longest name the rooms.name column of this database takes:
// 150, or less where the column is narrower (100 in the first Flask generations).
func (s *Service) roomNameMax(ctx context.Context) (int, error) {
	width, err := s.store.RoomNameWidth(ctx)
	if err != nil {
		return 0, internal("room name width", err)
	}
	if width > 0 && width < maxRoomName {
		return width, nil
	}
	return maxRoomName, nil
}

func (s *Service) validateRoomName(ctx context.Context, name string) (string, error) {
	max, err := s.roomNameMax(ctx)
	if err != nil {
		return "", err
	}
	name = strings.TrimSpace(name)
	if name == "" || !utf8.ValidString(name) || utf8.RuneCountInString(name) > max || strings.ContainsRune(name, 0) {
		return "", Invalid("name is required and must be at most %d characters", max)
	}
	return name, nil
}

func validateDescription(d string) (string, error) {
	d = strings.TrimSpace(d)
	if !utf8.ValidString(d) || utf8.RuneCountInString(d) > 2000 || strings.ContainsRune(d, 0) {
		return "", Invalid("description must be at most 2000 characters")
	}
	return d, nil
}

// CreateRoom creates a room; its creator becomes a member.
func (s *Service) CreateRoom(ctx context.Context, a Actor, in RoomInput) (Room, error) {
	if in.Name == nil {
		return Room{}, Invalid("name is required")
	}
	name, err := s.validateRoomName(ctx, *in.Name)
	if err != nil {
		return Room{}, err
	}
	r := &models.Room{Name: name, CreatedBy: a.ID, CreatedAt: Now()}
	if in.Description != nil {
		d, err := validateDescription(*in.Description)
		if err != nil {
			return Room{}, err
		}
		r.Description = &d
	}
	if in.IsPrivate != nil {
		r.IsPrivate = *in.IsPrivate
	}
	err = s.store.CreateRoom(ctx, r, a.ID)
	if r.ID > 0 {
		s.access.forgetRoom(r.ID)
	}
	if err != nil {
		return Room{}, internal("create room", err)
	}
	return s.Room(ctx, a, r.ID)
}

// Room shows one room to a reader.
func (s *Service) Room(ctx context.Context, a Actor, roomID int64) (Room, error) {
	r, err := s.readableRoom(ctx, a, roomID)
	if err != nil {
		return Room{}, err
	}
	return s.roomView(ctx, r, a.ID)
}

// ownRoom loads a room the actor created (the rule for update and delete). A private
// room's existence is not revealed to outsiders.
func (s *Service) ownRoom(ctx context.Context, a Actor, roomID int64) (*models.Room, error) {
	r, err := s.readableRoom(ctx, a, roomID)
	if err != nil {
		return nil, err
	}
	if r.CreatedBy != a.ID {
		return nil, Forbidden("only the room's creator may change it")
	}
	return r, nil
}

// UpdateRoom changes a room; creator only.
func (s *Service) UpdateRoom(ctx context.Context, a Actor, roomID int64, in RoomInput) (Room, error) {
	r, err := s.ownRoom(ctx, a, roomID)
	if err != nil {
		return Room{}, err
	}
	cols := map[string]any{}
	if in.Name != nil {
		name, err := s.validateRoomName(ctx, *in.Name)
		if err != nil {
			return Room{}, err
		}
		cols["name"] = name
	}
	if in.Description != nil {
		d, err := validateDescription(*in.Description)
		if err != nil {
			return Room{}, err
		}
		cols["description"] = d
	}
	if in.IsPrivate != nil {
		if r.DMKey != nil && !*in.IsPrivate {
			return Room{}, Forbidden("a conversation stays private")
		}
		cols["is_private"] = *in.IsPrivate
	}
	err = s.store.UpdateRoom(ctx, r.ID, cols)
	s.access.forgetRoom(r.ID)
	if err != nil {
		return Room{}, internal("update room", err)
	}
	if len(cols) > 0 {
		s.publishRoomChanged(ctx, r.ID)
	}
	if in.IsPrivate != nil && *in.IsPrivate != r.IsPrivate {
		s.publishPrivacy(ctx, r.ID, *in.IsPrivate)
	}
	return s.Room(ctx, a, r.ID)
}

// publishPrivacy tells every instance that a room's privacy changed. Made
// private, it names who keeps access (its members): every other connection
// there is cut off.
func (s *Service) publishPrivacy(ctx context.Context, roomID int64, private bool) {
	if !private {
		s.publishAccess(ctx, roomID, AccessChange{Reason: ReasonRoomPublic, AllUsers: true})
		return
	}
	keep, err := s.store.MemberIDs(ctx, roomID)
	if err != nil {
		// Without the member list nobody is spared: members reconnect, and the
		// access check lets them back in.
		s.log.WarnContext(ctx, "room made private: members unknown, cutting every live connection", "room_id", roomID, "err", err)
		keep = nil
	}
	s.publishAccess(ctx, roomID, AccessChange{Reason: ReasonRoomPrivate, AllUsers: true, Keep: keep})
}

// DeleteRoom removes a room with its messages and its files (rows and stored
// objects, see room_files.go); creator only.
func (s *Service) DeleteRoom(ctx context.Context, a Actor, roomID int64) error {
	r, err := s.ownRoom(ctx, a, roomID)
	if err != nil {
		return err
	}
	keys, err := s.store.DeleteRoom(ctx, r.ID)
	s.access.forgetRoom(r.ID)
	if err != nil {
		if errors.Is(err, models.ErrNotFound) {
			return NotFound("room not found")
		}
		return internal("delete room", err)
	}
	s.publishAccess(ctx, r.ID, AccessChange{Reason: ReasonRoomDeleted, AllUsers: true})
	s.removeRoomFiles(ctx, r.ID, keys)
	return nil
}

// JoinRoom makes the caller a member of a public room (or a no-op for a member).
func (s *Service) JoinRoom(ctx context.Context, a Actor, roomID int64) error {
	r, err := s.readableRoom(ctx, a, roomID)
	if err != nil {
		if KindOf(err) == KindForbidden {
			return Forbidden("a private room cannot be joined without an invitation")
		}
		return err
	}
	if r.DMKey != nil {
		// Only its two members can read a conversation, so a reader is one of
		// them already: nothing to add, nobody else gets in.
		return nil
	}
	err = s.store.AddMember(ctx, r.ID, a.ID)
	s.access.forgetMember(r.ID, a.ID)
	if err != nil {
		return internal("join room", err)
	}
	return nil
}

// LeaveRoom takes the caller out of a room; the creator cannot leave.
func (s *Service) LeaveRoom(ctx context.Context, a Actor, roomID int64) error {
	r, err := s.readableRoom(ctx, a, roomID)
	if err != nil {
		return err
	}
	if r.CreatedBy == a.ID {
		return Invalid("the creator cannot leave the room")
	}
	member, err := s.store.IsMember(ctx, r.ID, a.ID)
	if err != nil {
		return internal("leave room", err)
	}
	if !member {
		return Invalid("you are not a member of this room")
	}
	err = s.store.RemoveMember(ctx, r.ID, a.ID)
	s.access.forgetMember(r.ID, a.ID)
	if err != nil {
		return internal("leave room", err)
	}
	if r.IsPrivate || r.DMKey != nil {
		// Only in a private room does leaving end the right to read.
		s.publishAccess(ctx, r.ID, AccessChange{Reason: ReasonLeft, Users: []int64{a.ID}})
	}
	return nil
}

// Members lists a room's members, with their roles, to a reader.
func (s *Service) Members(ctx context.Context, a Actor, roomID int64) ([]Member, error) {
	r, err := s.readableRoom(ctx, a, roomID)
	if err != nil {
		return nil, err
	}
	rows, err := s.store.MembersOfRooms(ctx, []int64{r.ID})
	if err != nil {
		return nil, internal("members", err)
	}
	out := make([]Member, 0, len(rows))
	for i := range rows {
		out = append(out, Member{UserPublic: publicView(&rows[i].User), Role: memberRole(r.CreatedBy, rows[i].User.ID, rows[i].Role)})
	}
	return out, nil
}
