package chat

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/izpochat/server/internal/testdb"
)

func TestParseMentions(t *testing.T) {
	many := make([]string, 0, MaxMentions+5)
	for i := range MaxMentions + 5 {
		many = append(many, fmt.Sprintf("@user%02d", i))
	}
	manyWant := make([]string, MaxMentions)
	for i := range manyWant {
		manyWant[i] = fmt.Sprintf("user%02d", i)
	}
	cases := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"hello", nil},
		{"@bob hi", []string{"bob"}},
		{"hi @bob, @carol and @bob again", []string{"bob", "carol"}},
		{"mail bob@example.com", nil},     // an address mentions nobody
		{"thanks @bob.", []string{"bob"}}, // the sentence's dot is not the name's
		{"@j.doe-x_1!", []string{"j.doe-x_1"}},
		{"@ab @", nil}, // too short, empty
		{"@" + strings.Repeat("x", 51), nil},
		{"(@Bob)", []string{"Bob"}}, // case kept: names match exactly
		{"@@bob", []string{"bob"}},
		{"@bób", nil}, // 'b' then a non-username character: too short
		{strings.Join(many, " "), manyWant},
	}
	for _, c := range cases {
		if got := ParseMentions(c.in); !slices.Equal(got, c.want) {
			t.Errorf("ParseMentions(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// A post lists whom it mentions (stored: history shows it too) and tells each
// of them who may read the room, once; nobody else, and never its author.
func TestMentionRules(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newAccessFixture(t, db)
		carol := f.register(t, "carol")
		public := f.publicRoom(t)
		private := f.privateRoom(t, f.alice) // alice only
		log := listenAll(f.svc)

		msg, err := f.svc.PostMessage(f.ctx, f.alice, public.ID, PostInput{Content: "hi @bob @carol @nobody @alice @bob"})
		if err != nil {
			t.Fatal(err)
		}
		want := []MentionRef{{f.bob.ID, "bob"}, {carol.ID, "carol"}, {f.alice.ID, "alice"}}
		slices.SortFunc(want, func(a, b MentionRef) int { return int(a.ID - b.ID) })
		if !slices.Equal(msg.Mentions, want) {
			t.Fatalf("mentions = %+v, want %+v", msg.Mentions, want)
		}
		if evs := log.of(EventMessage); len(evs) != 1 || !slices.Equal(evs[0].Message.Mentions, want) {
			t.Fatalf("new_message event mentions: %+v", evs)
		}
		evs := log.of(EventMention)
		if len(evs) != 2 {
			t.Fatalf("mention events = %d, want 2 (bob, carol; not the author): %+v", len(evs), evs)
		}
		got := map[int64]MentionNotice{}
		for _, ev := range evs {
			if ev.RoomID != 0 || ev.Mention == nil || ev.ToUser != ev.Mention.UserID {
				t.Fatalf("mention event = %+v", ev)
			}
			got[ev.ToUser] = *ev.Mention
		}
		wantBob := MentionNotice{MessageID: msg.ID, RoomID: public.ID, UserID: f.bob.ID,
			By: MentionRef{f.alice.ID, "alice"}, Excerpt: msg.Content}
		if got[f.bob.ID] != wantBob || got[carol.ID].UserID != carol.ID {
			t.Fatalf("mention notices = %+v", got)
		}
		page, err := f.svc.History(f.ctx, f.bob, public.ID, HistoryQuery{})
		if err != nil || len(page) != 1 || !slices.Equal(page[0].Mentions, want) {
			t.Fatalf("history = %+v, %v", page, err)
		}

		hits, err := f.svc.SearchMessages(f.ctx, f.bob, SearchQuery{Text: "hi", RoomID: public.ID})
		if err != nil || len(hits) != 1 || !slices.Equal(hits[0].Mentions, want) {
			t.Fatalf("search = %+v, %v", hits, err)
		}

		// A private room: bob cannot read it, so a mention of him leaks nothing.
		before := len(log.of(EventMention))
		msg, err = f.svc.PostMessage(f.ctx, f.alice, private.ID, PostInput{Content: "@bob look"})
		if err != nil {
			t.Fatal(err)
		}
		if len(msg.Mentions) != 0 || len(log.of(EventMention)) != before {
			t.Fatalf("a non-reader was mentioned: %+v, events %d", msg.Mentions, len(log.of(EventMention))-before)
		}
		if b, _ := msg.MarshalJSON(); bytes.Contains(b, []byte("mentions")) {
			t.Fatalf("a message mentioning nobody carries the field: %s", b)
		}
		if _, err := f.svc.AddMember(f.ctx, f.alice, private.ID, f.bob.ID); err != nil {
			t.Fatal(err)
		}
		msg, err = f.svc.PostMessage(f.ctx, f.alice, private.ID, PostInput{Content: "@bob now you can"})
		if err != nil || len(msg.Mentions) != 1 || len(log.of(EventMention)) != before+1 {
			t.Fatalf("a member's mention: %+v, %v", msg.Mentions, err)
		}

		// Deleting a message takes its mentions away.
		if err := f.svc.DeleteMessage(f.ctx, f.alice, msg.ID); err != nil {
			t.Fatal(err)
		}
		page, err = f.svc.History(f.ctx, f.alice, private.ID, HistoryQuery{IncludeDeleted: true})
		if err != nil || len(page) != 2 || len(page[1].Mentions) != 0 {
			t.Fatalf("deleted message's history = %+v, %v", page, err)
		}
		var rows int64
		db.Raw("SELECT COUNT(*) FROM message_mentions WHERE message_id = ?", msg.ID).Scan(&rows)
		if rows != 0 {
			t.Fatalf("a deleted message keeps %d mention rows", rows)
		}
	})
}

// An edit evaluates mentions anew: the list follows the text, and only users
// the edit adds are told (once per edit that adds them).
func TestEditReMentions(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newAccessFixture(t, db)
		carol := f.register(t, "carol")
		room := f.publicRoom(t)
		log := listenAll(f.svc)
		msg, err := f.svc.PostMessage(f.ctx, f.alice, room.ID, PostInput{Content: "hi @bob"})
		if err != nil {
			t.Fatal(err)
		}
		edited, err := f.svc.EditMessage(f.ctx, f.alice, msg.ID, "hi @bob and @carol")
		if err != nil {
			t.Fatal(err)
		}
		if len(edited.Mentions) != 2 {
			t.Fatalf("edited mentions = %+v", edited.Mentions)
		}
		evs := log.of(EventMention)
		if len(evs) != 2 || evs[0].ToUser != f.bob.ID || evs[1].ToUser != carol.ID {
			t.Fatalf("mention events = %+v, want bob (post) then carol (edit)", evs)
		}
		if e := log.of(EventMessageEdited); len(e) != 1 || len(e[0].Message.Mentions) != 2 {
			t.Fatalf("message_edited = %+v", e)
		}
		edited, err = f.svc.EditMessage(f.ctx, f.alice, msg.ID, "hi everyone")
		if err != nil || len(edited.Mentions) != 0 || len(log.of(EventMention)) != 2 {
			t.Fatalf("mentions removed: %+v, %v, events %d", edited.Mentions, err, len(log.of(EventMention)))
		}
		page, err := f.svc.History(f.ctx, f.alice, room.ID, HistoryQuery{})
		if err != nil || len(page) != 1 || len(page[0].Mentions) != 0 {
			t.Fatalf("history after the edit = %+v, %v", page, err)
		}
		if _, err := f.svc.EditMessage(f.ctx, f.alice, msg.ID, "back to @bob"); err != nil {
			t.Fatal(err)
		}
		if evs := log.of(EventMention); len(evs) != 3 || evs[2].ToUser != f.bob.ID {
			t.Fatalf("re-mentioned by an edit: %+v", evs)
		}
	})
}

// The added user and the other member of a new conversation get events
// addressed to them; an existing conversation announces nothing.
func TestUserEventsOfMembersAndConversations(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newAccessFixture(t, db)
		room := f.privateRoom(t, f.alice)
		log := listenAll(f.svc)
		if _, err := f.svc.AddMember(f.ctx, f.alice, room.ID, f.bob.ID); err != nil {
			t.Fatal(err)
		}
		if evs := log.of(EventMemberAdded); len(evs) != 1 || evs[0].ToUser != f.bob.ID || evs[0].RoomID != room.ID {
			t.Fatalf("member_added = %+v", evs)
		}
		conv, err := f.svc.StartConversation(f.ctx, f.alice, f.bob.ID)
		if err != nil || !conv.Created {
			t.Fatal(conv, err)
		}
		evs := log.of(EventConversationStarted)
		if len(evs) != 1 || evs[0].ToUser != f.bob.ID || evs[0].RoomID != 0 || evs[0].Conversation == nil {
			t.Fatalf("conversation_started = %+v", evs)
		}
		c := evs[0].Conversation
		if c.RoomID != conv.Room.ID || c.Room.ID != conv.Room.ID || c.OtherUser.ID != f.alice.ID || !c.Room.IsPrivate ||
			c.Room.MyRole == nil || *c.Room.MyRole != RoleMember {
			t.Fatalf("conversation_started payload = %+v (my_role %v)", c, c.Room.MyRole)
		}
		if _, err := f.svc.StartConversation(f.ctx, f.bob, f.alice.ID); err != nil {
			t.Fatal(err)
		}
		if n := len(log.of(EventConversationStarted)); n != 1 {
			t.Fatalf("an existing conversation announced again: %d events", n)
		}
	})
}

func TestMentionsJSONMatchesEncodingJSON(t *testing.T) {
	at := Time(time.Date(2026, 12, 7, 1, 2, 3, 4000, time.UTC))
	m := Message{ID: 1, Type: "message", Content: "x", UserID: 2, Username: "a", RoomID: 3, CreatedAt: at, Timestamp: at}
	with := m
	with.Mentions = []MentionRef{{ID: 4, Username: "bob"}, {ID: 5, Username: "<&>"}}
	with.Reactions = []Reaction{{Emoji: "👍", Count: 1}}
	for _, msgs := range [][]Message{{m}, {with}, {m, with}} {
		want := reflectedJSON(t, msgs)
		if got := AppendMessagesJSON(nil, msgs); !bytes.Equal(got, want) {
			t.Fatalf("encoded\n%s\nwant\n%s", got, want)
		}
	}
}

// Mentions that cannot be stored do not fail the message: it is stored and
// published without them, and nobody is told of a mention history would not
// show.
func TestMentionsNotStoredAreNotShownNorTold(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newAccessFixture(t, db)
		room := f.publicRoom(t)
		log := listenAll(f.svc)
		if err := db.Exec("DROP TABLE message_mentions").Error; err != nil {
			t.Fatal(err)
		}
		msg, err := f.svc.PostMessage(f.ctx, f.alice, room.ID, PostInput{Content: "@bob hi"})
		if err != nil {
			t.Fatalf("post: %v", err)
		}
		if len(msg.Mentions) != 0 || len(log.of(EventMention)) != 0 {
			t.Fatalf("unstored mentions shown %+v or told (%d events)", msg.Mentions, len(log.of(EventMention)))
		}
		if evs := log.of(EventMessage); len(evs) != 1 || evs[0].Message.ID != msg.ID || len(evs[0].Message.Mentions) != 0 {
			t.Fatalf("message events = %+v", evs)
		}
	})
}
