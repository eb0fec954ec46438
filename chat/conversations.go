package chat

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/izpochat/server/models"
)

// ConversationResult is the one-to-one room of two users and whether it was new.
type ConversationResult struct {
	Room    Room
	Created bool
}

func dmKey(a, b int64) string {
	if a > b {
		a, b = b, a
	}
	return fmt.Sprintf("%d:%d", a, b)
}

// StartConversation finds or creates the private room of the actor and recipient.
// Two simultaneous calls for the same pair yield one room (unique dm_key).
func (s *Service) StartConversation(ctx context.Context, a Actor, recipientID int64) (ConversationResult, error) {
	if recipientID <= 0 {
		return ConversationResult{}, Invalid("recipient_id must be a positive integer")
	}
	if recipientID == a.ID {
		return ConversationResult{}, Invalid("you cannot start a conversation with yourself")
	}
	other, err := s.store.UserByID(ctx, recipientID)
	if errors.Is(err, models.ErrNotFound) {
		return ConversationResult{}, NotFound("recipient not found")
	}
	if err != nil {
		return ConversationResult{}, internal("load recipient", err)
	}
	key := dmKey(a.ID, other.ID)
	max, err := s.roomNameMax(ctx)
	if err != nil {
		return ConversationResult{}, err
	}
	room := &models.Room{
		// Two 50-character usernames make 103: cut to what the column holds.
		Name:      truncateRunes(fmt.Sprintf("%s & %s", a.Username, other.Username), max),
		IsPrivate: true, CreatedBy: a.ID, CreatedAt: Now(), DMKey: &key,
	}
	created, err := s.store.FindOrCreateDM(ctx, room, a.ID, other.ID)
	if created {
		s.access.forgetRoom(room.ID)
	}
	if err != nil {
		return ConversationResult{}, internal("start conversation", err)
	}
	full, err := s.store.RoomByID(ctx, room.ID)
	if err != nil {
		return ConversationResult{}, internal("load conversation", err)
	}
	view, err := s.roomView(ctx, full, a.ID)
	if err != nil {
		return ConversationResult{}, err
	}
	if created {
		s.announceConversation(ctx, a, full, other.ID)
	}
	return ConversationResult{Room: view, Created: created}, nil
}

// announceConversation tells the other member of a new conversation, wherever
// they are connected (issue 23.6), with the room as they see it.
func (s *Service) announceConversation(ctx context.Context, a Actor, room *models.Room, otherID int64) {
	theirs, err := s.roomView(ctx, room, otherID)
	if err != nil {
		s.log.WarnContext(ctx, "conversation_started view", "room_id", room.ID, "err", err)
		return
	}
	s.publish(ctx, Event{Type: EventConversationStarted, ToUser: otherID, User: a.Ref(),
		Conversation: &ConversationStarted{RoomID: room.ID, Room: theirs, OtherUser: a.Ref()}})
}

// Conversations lists the actor's one-to-one conversations, newest activity first.
func (s *Service) Conversations(ctx context.Context, a Actor) ([]Conversation, error) {
	rooms, err := s.store.DMRoomsOf(ctx, a.ID)
	if err != nil {
		return nil, internal("conversations", err)
	}
	ids := make([]int64, len(rooms))
	for i := range rooms {
		ids[i] = rooms[i].ID
	}
	memberships, err := s.store.MembersOfRooms(ctx, ids)
	if err != nil {
		return nil, internal("conversation members", err)
	}
	last, err := s.store.LastMessages(ctx, ids)
	if err != nil {
		return nil, internal("conversation messages", err)
	}
	reads, err := s.unreadStates(ctx, a.ID, ids)
	if err != nil {
		return nil, err
	}
	others := make(map[int64]*UserRef, len(rooms))
	for i := range memberships {
		if m := &memberships[i]; m.User.ID != a.ID {
			others[m.RoomID] = refView(&m.User)
		}
	}
	type entry struct {
		c  Conversation
		at time.Time
	}
	entries := make([]entry, 0, len(rooms))
	for i := range rooms {
		r := &rooms[i]
		read := reads[r.ID]
		e := entry{c: Conversation{RoomID: r.ID, OtherUser: others[r.ID], LastReadID: read.LastReadID, UnreadCount: read.Unread}, at: r.CreatedAt}
		if m, ok := last[r.ID]; ok {
			e.c.LastMessage = &LastMessage{Content: m.Content, CreatedAt: Time(m.CreatedAt)}
			e.at = m.CreatedAt
		}
		entries = append(entries, e)
	}
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].at.After(entries[j].at) })
	out := make([]Conversation, len(entries))
	for i := range entries {
		out[i] = entries[i].c
	}
	return out, nil
}

// truncateRunes keeps the first max characters of s.
func truncateRunes(s string, max int) string {
	n := 0
	for i := range s {
		if n == max {
			return s[:i]
		}
		n++
	}
	return s
}
