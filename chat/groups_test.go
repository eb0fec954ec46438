package chat

import (
	"strings"
	"sync"
	"testing"

	"gorm.io/gorm"

	"github.com/izpochat/server/internal/testdb"
)

// eventLog records what the hub delivers, as a door would see it.
type eventLog struct {
	mu  sync.Mutex
	evs []Event
}

func listenAll(svc *Service) *eventLog {
	l := &eventLog{}
	svc.hub.Listen(func(ev Event) {
		l.mu.Lock()
		l.evs = append(l.evs, ev)
		l.mu.Unlock()
	})
	return l
}

func (l *eventLog) of(typ EventType) []Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []Event
	for _, ev := range l.evs {
		if ev.Type == typ {
			out = append(out, ev)
		}
	}
	return out
}

func (f *accessFixture) privateRoom(t *testing.T, owner Actor) Room {
	t.Helper()
	name, private := "group", true
	r, err := f.svc.CreateRoom(f.ctx, owner, RoomInput{Name: &name, IsPrivate: &private})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Editing: the author only, same content rules as posting; stored first, then
// one message_edited event with the new text and edited_at.
func TestEditMessageAuthorOnly(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newAccessFixture(t, db)
		room := f.publicRoom(t)
		log := listenAll(f.svc)
		msg, err := f.svc.PostMessage(f.ctx, f.alice, room.ID, PostInput{Content: "helo"})
		if err != nil {
			t.Fatal(err)
		}
		if msg.EditedAt != nil || msg.ReplyTo != nil {
			t.Fatalf("new message = %+v", msg)
		}
		_, err = f.svc.EditMessage(f.ctx, f.bob, msg.ID, "hijacked")
		wantKind(t, err, KindForbidden, "bob edits alice's message")
		for _, bad := range []string{"   ", strings.Repeat("x", 5001), "a\x00b"} {
			_, err = f.svc.EditMessage(f.ctx, f.alice, msg.ID, bad)
			wantKind(t, err, KindInvalid, "edit to bad content")
		}
		_, err = f.svc.EditMessage(f.ctx, f.alice, 999999, "x")
		wantKind(t, err, KindNotFound, "edit of a missing message")
		edited, err := f.svc.EditMessage(f.ctx, f.alice, msg.ID, "  hello  ")
		if err != nil {
			t.Fatal(err)
		}
		if edited.Content != "hello" || edited.EditedAt == nil || edited.ID != msg.ID {
			t.Fatalf("edited = %+v", edited)
		}
		evs := log.of(EventMessageEdited)
		if len(evs) != 1 || evs[0].Message.Content != "hello" || evs[0].RoomID != room.ID {
			t.Fatalf("message_edited events = %+v", evs)
		}
		hist, err := f.svc.History(f.ctx, f.bob, room.ID, HistoryQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if len(hist) != 1 || hist[0].Content != "hello" || hist[0].EditedAt == nil {
			t.Fatalf("history after edit = %+v", hist)
		}
	})
}

// Deleting: the author, or the room's owner or an admin; never a plain
// member. The text is gone from history (and from the row itself), listed
// only with include_deleted, blanked; a second delete is 404.
func TestDeleteMessageRulesAndTextGone(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newAccessFixture(t, db)
		carol := f.register(t, "carol")
		room := f.privateRoom(t, f.alice)
		for _, u := range []Actor{f.bob, carol} {
			if _, err := f.svc.AddMember(f.ctx, f.alice, room.ID, u.ID); err != nil {
				t.Fatal(err)
			}
		}
		log := listenAll(f.svc)
		post := func(a Actor, text string) Message {
			t.Helper()
			m, err := f.svc.PostMessage(f.ctx, a, room.ID, PostInput{Content: text})
			if err != nil {
				t.Fatal(err)
			}
			return m
		}
		byBob, byAlice, byCarol := post(f.bob, "secret of bob"), post(f.alice, "owner says"), post(carol, "carol says")
		wantKind(t, f.svc.DeleteMessage(f.ctx, carol, byBob.ID), KindForbidden, "member deletes another's message")
		wantKind(t, f.svc.DeleteMessage(f.ctx, f.bob, byAlice.ID), KindForbidden, "member deletes the owner's message")
		if err := f.svc.DeleteMessage(f.ctx, f.bob, byBob.ID); err != nil { // the author
			t.Fatal(err)
		}
		wantKind(t, f.svc.DeleteMessage(f.ctx, f.bob, byBob.ID), KindNotFound, "second delete")
		_, err := f.svc.EditMessage(f.ctx, f.bob, byBob.ID, "back")
		wantKind(t, err, KindNotFound, "edit of a deleted message")
		if _, err := f.svc.SetRole(f.ctx, f.alice, room.ID, f.bob.ID, RoleAdmin); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.DeleteMessage(f.ctx, f.bob, byCarol.ID); err != nil { // an admin
			t.Fatal(err)
		}
		evs := log.of(EventMessageDeleted)
		if len(evs) != 2 || evs[0].Deleted.ID != byBob.ID || evs[1].Deleted.ID != byCarol.ID || evs[0].Message != nil {
			t.Fatalf("message_deleted events = %+v", evs)
		}
		hist, err := f.svc.History(f.ctx, f.alice, room.ID, HistoryQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if len(hist) != 1 || hist[0].ID != byAlice.ID {
			t.Fatalf("history = %+v, want only alice's message", hist)
		}
		all, err := f.svc.History(f.ctx, f.alice, room.ID, HistoryQuery{IncludeDeleted: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 3 || all[0].DeletedAt == nil || all[0].Content != "" || all[1].DeletedAt != nil || all[2].Content != "" {
			t.Fatalf("history with deleted = %+v", all)
		}
		row, err := f.store.MessageByID(f.ctx, byBob.ID)
		if err != nil || row.Content != "" || row.DeletedAt == nil {
			t.Fatalf("stored row = %+v, %v: the text must be gone", row, err)
		}
	})
}

// A deleted message is never a conversation's last message.
func TestDeletedMessageIsNotAConversationsLast(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newAccessFixture(t, db)
		conv, err := f.svc.StartConversation(f.ctx, f.alice, f.bob.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.PostMessage(f.ctx, f.alice, conv.Room.ID, PostInput{Content: "first"}); err != nil {
			t.Fatal(err)
		}
		last, err := f.svc.PostMessage(f.ctx, f.bob, conv.Room.ID, PostInput{Content: "regret"})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.svc.DeleteMessage(f.ctx, f.bob, last.ID); err != nil {
			t.Fatal(err)
		}
		list, err := f.svc.Conversations(f.ctx, f.alice)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].LastMessage == nil || list[0].LastMessage.Content != "first" {
			t.Fatalf("conversations = %+v", list)
		}
	})
}

// Roles: the owner adds, names admins and removes; an admin adds and removes
// but cannot change roles; a member can do neither; nobody removes the owner;
// anyone may remove themselves; a conversation keeps its two members. Views
// show role and my_role.
func TestRolesAndMembership(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newAccessFixture(t, db)
		carol, dave := f.register(t, "carol"), f.register(t, "dave")
		room := f.privateRoom(t, f.alice)
		log := listenAll(f.svc)
		if room.MyRole == nil || *room.MyRole != RoleOwner {
			t.Fatalf("creator's my_role = %v", room.MyRole)
		}
		_, err := f.svc.AddMember(f.ctx, f.bob, room.ID, carol.ID)
		wantKind(t, err, KindForbidden, "an outsider adds to a private room")
		if _, err := f.svc.AddMember(f.ctx, f.alice, room.ID, f.bob.ID); err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.AddMember(f.ctx, f.alice, room.ID, f.bob.ID)
		wantKind(t, err, KindConflict, "adding a member twice")
		_, err = f.svc.AddMember(f.ctx, f.alice, room.ID, 987654)
		wantKind(t, err, KindNotFound, "adding a missing user")
		_, err = f.svc.AddMember(f.ctx, f.bob, room.ID, carol.ID)
		wantKind(t, err, KindForbidden, "a member adds")
		if _, err := f.svc.SetRole(f.ctx, f.alice, room.ID, f.bob.ID, RoleAdmin); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.AddMember(f.ctx, f.bob, room.ID, carol.ID); err != nil { // an admin adds
			t.Fatal(err)
		}
		_, err = f.svc.SetRole(f.ctx, f.bob, room.ID, carol.ID, RoleAdmin)
		wantKind(t, err, KindForbidden, "an admin changes a role")
		_, err = f.svc.SetRole(f.ctx, f.alice, room.ID, carol.ID, "owner")
		wantKind(t, err, KindInvalid, "role owner")
		_, err = f.svc.SetRole(f.ctx, f.alice, room.ID, f.alice.ID, RoleMember)
		wantKind(t, err, KindInvalid, "the owner's own role")
		_, err = f.svc.SetRole(f.ctx, f.alice, room.ID, dave.ID, RoleAdmin)
		wantKind(t, err, KindNotFound, "role of a non-member")
		wantKind(t, f.svc.RemoveMember(f.ctx, f.bob, room.ID, f.alice.ID), KindForbidden, "an admin removes the owner")
		wantKind(t, f.svc.RemoveMember(f.ctx, f.alice, room.ID, f.alice.ID), KindForbidden, "the owner removes themselves")
		wantKind(t, f.svc.RemoveMember(f.ctx, carol, room.ID, f.bob.ID), KindForbidden, "a member removes an admin")
		wantKind(t, f.svc.RemoveMember(f.ctx, f.alice, room.ID, dave.ID), KindNotFound, "removing a non-member")

		view, err := f.svc.Room(f.ctx, f.bob, room.ID)
		if err != nil {
			t.Fatal(err)
		}
		roles := map[int64]string{}
		for _, m := range view.Members {
			roles[m.ID] = m.Role
		}
		if *view.MyRole != RoleAdmin || roles[f.alice.ID] != RoleOwner || roles[f.bob.ID] != RoleAdmin || roles[carol.ID] != RoleMember {
			t.Fatalf("room as bob sees it: my_role %v, roles %v", *view.MyRole, roles)
		}
		members, err := f.svc.Members(f.ctx, carol, room.ID)
		if err != nil || len(members) != 3 || members[2].Role != RoleMember {
			t.Fatalf("members = %+v, %v", members, err)
		}

		if err := f.svc.RemoveMember(f.ctx, f.bob, room.ID, carol.ID); err != nil { // an admin removes
			t.Fatal(err)
		}
		wantKind(t, f.svc.CanRead(f.ctx, carol, room.ID), KindForbidden, "carol reads after removal")
		if err := f.svc.RemoveMember(f.ctx, f.bob, room.ID, f.bob.ID); err != nil { // anyone removes themselves
			t.Fatal(err)
		}
		if n := len(log.of(EventMemberAdded)); n != 2 {
			t.Fatalf("%d member_added events, want 2", n)
		}
		if evs := log.of(EventRoleChanged); len(evs) != 1 || evs[0].Member.Role != RoleAdmin || evs[0].Member.UserID != f.bob.ID {
			t.Fatalf("role_changed = %+v", evs)
		}
		removed := log.of(EventMemberRemoved)
		if len(removed) != 2 || removed[0].Member.UserID != carol.ID || removed[0].Member.ByUserID != f.bob.ID {
			t.Fatalf("member_removed = %+v", removed)
		}
		// Each removal from the private room is an access event that revokes.
		access := log.of(EventAccessChanged)
		cut := 0
		for _, ev := range access {
			if ev.Access.Revokes(carol.ID) || ev.Access.Revokes(f.bob.ID) {
				cut++
			}
		}
		if cut != 2 {
			t.Fatalf("access events revoking = %d, want 2 (%+v)", cut, access)
		}

		conv, err := f.svc.StartConversation(f.ctx, f.alice, f.bob.ID)
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.AddMember(f.ctx, f.alice, conv.Room.ID, carol.ID)
		wantKind(t, err, KindForbidden, "adding to a conversation")
		wantKind(t, f.svc.RemoveMember(f.ctx, f.bob, conv.Room.ID, f.bob.ID), KindForbidden, "removing from a conversation")
	})
}

// A reply names a message of its room and shows an excerpt; a reply across
// rooms is refused; a deleted message replied to shows an empty excerpt.
func TestReplies(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newAccessFixture(t, db)
		room := f.publicRoom(t)
		name := "other"
		other, err := f.svc.CreateRoom(f.ctx, f.alice, RoomInput{Name: &name})
		if err != nil {
			t.Fatal(err)
		}
		long := strings.Repeat("é", 200)
		orig, err := f.svc.PostMessage(f.ctx, f.alice, room.ID, PostInput{Content: long})
		if err != nil {
			t.Fatal(err)
		}
		elsewhere, err := f.svc.PostMessage(f.ctx, f.alice, other.ID, PostInput{Content: "elsewhere"})
		if err != nil {
			t.Fatal(err)
		}
		reply, err := f.svc.PostMessage(f.ctx, f.bob, room.ID, PostInput{Content: "yes", ReplyToID: &orig.ID})
		if err != nil {
			t.Fatal(err)
		}
		if reply.ReplyTo == nil || reply.ReplyTo.ID != orig.ID || reply.ReplyTo.Username != "alice" ||
			!strings.HasPrefix(long, strings.TrimSuffix(reply.ReplyTo.Content, "…")) || len([]rune(reply.ReplyTo.Content)) != replyExcerptRunes+1 {
			t.Fatalf("reply_to = %+v", reply.ReplyTo)
		}
		_, err = f.svc.PostMessage(f.ctx, f.bob, room.ID, PostInput{Content: "x", ReplyToID: &elsewhere.ID})
		wantKind(t, err, KindInvalid, "reply to another room's message")
		missing := int64(424242)
		_, err = f.svc.PostMessage(f.ctx, f.bob, room.ID, PostInput{Content: "x", ReplyToID: &missing})
		wantKind(t, err, KindNotFound, "reply to a missing message")
		if err := f.svc.DeleteMessage(f.ctx, f.alice, orig.ID); err != nil {
			t.Fatal(err)
		}
		hist, err := f.svc.History(f.ctx, f.bob, room.ID, HistoryQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if len(hist) != 1 || hist[0].ReplyTo == nil || hist[0].ReplyTo.ID != orig.ID || hist[0].ReplyTo.Content != "" {
			t.Fatalf("history = %+v", hist)
		}
		_, err = f.svc.PostMessage(f.ctx, f.bob, room.ID, PostInput{Content: "x", ReplyToID: &orig.ID})
		wantKind(t, err, KindNotFound, "reply to a deleted message")
	})
}
