package chat

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/izpochat/server/internal/testdb"
	"github.com/izpochat/server/models"
)

func (r *rules) search(a Actor, q SearchQuery) []SearchHit {
	r.t.Helper()
	hits, err := r.svc.SearchMessages(r.ctx, a, q)
	if err != nil {
		r.t.Fatalf("search %+v: %v", q, err)
	}
	return hits
}

func hitIDs(hits []SearchHit) []int64 {
	ids := make([]int64, len(hits))
	for i, h := range hits {
		ids[i] = h.ID
	}
	return ids
}

func sameIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// A private room's and a conversation's messages are found by their members
// only, never by anyone else, with or without room_id; public rooms' by all.
func TestSearchFindsOnlyReadableRooms(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRules(t, db)
		alice, bob, carol := r.actor("alice"), r.actor("bob"), r.actor("carol")
		public := r.room(alice, "plaza", false)
		secret := r.room(alice, "secret", true)
		if _, err := r.svc.AddMember(r.ctx, alice, secret.ID, bob.ID); err != nil {
			t.Fatal(err)
		}
		dm, err := r.svc.StartConversation(r.ctx, alice, carol.ID)
		if err != nil {
			t.Fatal(err)
		}
		open := r.post(alice, public.ID, "banana for everyone")
		hidden := r.post(alice, secret.ID, "banana plan secreto")
		direct := r.post(carol, dm.Room.ID, "banana between us")

		if got, want := hitIDs(r.search(alice, SearchQuery{Text: "banana"})), []int64{direct.ID, hidden.ID, open.ID}; !sameIDs(got, want) {
			t.Fatalf("alice found %v, want %v (newest first)", got, want)
		}
		if got, want := hitIDs(r.search(bob, SearchQuery{Text: "banana"})), []int64{hidden.ID, open.ID}; !sameIDs(got, want) {
			t.Fatalf("bob (member of secret, not of the conversation) found %v, want %v", got, want)
		}
		if got, want := hitIDs(r.search(carol, SearchQuery{Text: "banana"})), []int64{direct.ID, open.ID}; !sameIDs(got, want) {
			t.Fatalf("carol found %v, want %v", got, want)
		}
		if _, err := r.svc.SearchMessages(r.ctx, carol, SearchQuery{Text: "banana", RoomID: secret.ID}); KindOf(err) != KindForbidden {
			t.Fatalf("carol searching the private room: %v, want forbidden", err)
		}
		if _, err := r.svc.SearchMessages(r.ctx, bob, SearchQuery{Text: "banana", RoomID: dm.Room.ID}); KindOf(err) != KindForbidden {
			t.Fatalf("bob searching their conversation: %v, want forbidden", err)
		}
		if _, err := r.svc.SearchMessages(r.ctx, bob, SearchQuery{Text: "banana", RoomID: 999999}); KindOf(err) != KindNotFound {
			t.Fatalf("a room that does not exist: %v, want not found", err)
		}
		if got := hitIDs(r.search(bob, SearchQuery{Text: "banana", RoomID: secret.ID})); !sameIDs(got, []int64{hidden.ID}) {
			t.Fatalf("bob in secret found %v", got)
		}
		// Removed from the room: its messages are no longer found.
		if err := r.svc.RemoveMember(r.ctx, alice, secret.ID, bob.ID); err != nil {
			t.Fatal(err)
		}
		if got := hitIDs(r.search(bob, SearchQuery{Text: "banana"})); !sameIDs(got, []int64{open.ID}) {
			t.Fatalf("bob after removal found %v", got)
		}
		if h := r.search(alice, SearchQuery{Text: "banana", RoomID: secret.ID}); len(h) != 1 || h[0].Room.Name != "secret" || h[0].Username != "alice" {
			t.Fatalf("hit view: %+v", h)
		}
	})
}

// Deleted messages are never found; an edited one only by its new text.
func TestSearchFollowsEditsAndDeletes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRules(t, db)
		alice := r.actor("alice")
		room := r.room(alice, "plaza", false)
		m := r.post(alice, room.ID, "naranja madura")
		if _, err := r.svc.EditMessage(r.ctx, alice, m.ID, "manzana verde"); err != nil {
			t.Fatal(err)
		}
		if h := r.search(alice, SearchQuery{Text: "naranja"}); len(h) != 0 {
			t.Fatalf("the old text still finds the edited message: %v", hitIDs(h))
		}
		h := r.search(alice, SearchQuery{Text: "manzana"})
		if len(h) != 1 || h[0].ID != m.ID || h[0].EditedAt == nil || h[0].Content != "manzana verde" {
			t.Fatalf("the new text: %+v", h)
		}
		if err := r.svc.DeleteMessage(r.ctx, alice, m.ID); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{"manzana", "naranja", "verde"} {
			if h := r.search(alice, SearchQuery{Text: q}); len(h) != 0 {
				t.Fatalf("the deleted message is found by %q", q)
			}
		}
		// Rows removed with their room leave the index too.
		other := r.post(alice, room.ID, "pera limonera")
		if err := r.svc.DeleteRoom(r.ctx, alice, room.ID); err != nil {
			t.Fatal(err)
		}
		room2 := r.room(alice, "plaza2", false)
		again := r.post(alice, room2.ID, "pera otra vez")
		if h := r.search(alice, SearchQuery{Text: "pera"}); len(h) != 1 || h[0].ID != again.ID || again.ID == other.ID {
			t.Fatalf("after the room's deletion: %v", hitIDs(h))
		}
		if db.Dialector.Name() == "sqlite" {
			// FTS5 compares its index with the messages table (rank 1: the
			// external content too): the triggers kept it in step through the
			// post, edit, deletion and the room's removal.
			if err := db.Exec("INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)").Error; err != nil {
				t.Fatalf("the FTS index is out of step with messages: %v", err)
			}
		}
	})
}

// Case and Spanish accents are ignored both ways; every word must be there;
// words are whole words.
func TestSearchAccentsAndWords(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRules(t, db)
		alice := r.actor("alice")
		room := r.room(alice, "plaza", false)
		song := r.post(alice, room.ID, "Una CANCIÓN para el año nuevo")
		plain := r.post(alice, room.ID, "la cancion sin acento")
		for _, q := range []string{"canción", "cancion", "CANCIÓN", "Cancion"} {
			if got := hitIDs(r.search(alice, SearchQuery{Text: q})); !sameIDs(got, []int64{plain.ID, song.ID}) {
				t.Fatalf("%q found %v, want both", q, got)
			}
		}
		if got := hitIDs(r.search(alice, SearchQuery{Text: "ano nuevo"})); !sameIDs(got, []int64{song.ID}) {
			t.Fatalf("two words found %v", got)
		}
		if got := hitIDs(r.search(alice, SearchQuery{Text: "canción acento"})); !sameIDs(got, []int64{plain.ID}) {
			t.Fatalf("both words must match: %v", got)
		}
		if got := r.search(alice, SearchQuery{Text: "canc"}); len(got) != 0 {
			t.Fatalf("a part of a word matched: %v", hitIDs(got))
		}
		h := r.search(alice, SearchQuery{Text: "cancion"})
		if h[1].Excerpt != "Una <mark>CANCIÓN</mark> para el año nuevo" {
			t.Fatalf("excerpt %q", h[1].Excerpt)
		}
	})
}

// limit and before_id page through the hits newest first, without overlap.
func TestSearchCursor(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRules(t, db)
		alice := r.actor("alice")
		room := r.room(alice, "plaza", false)
		var ids []int64
		for i := range 5 {
			ids = append(ids, r.post(alice, room.ID, "pagina "+strings.Repeat("x", i+1)).ID)
		}
		r.post(alice, room.ID, "nothing to see")
		first := hitIDs(r.search(alice, SearchQuery{Text: "pagina", Limit: 2}))
		if !sameIDs(first, []int64{ids[4], ids[3]}) {
			t.Fatalf("first page %v", first)
		}
		second := hitIDs(r.search(alice, SearchQuery{Text: "pagina", Limit: 2, BeforeID: first[1]}))
		if !sameIDs(second, []int64{ids[2], ids[1]}) {
			t.Fatalf("second page %v", second)
		}
		last := hitIDs(r.search(alice, SearchQuery{Text: "pagina", Limit: 2, BeforeID: second[1]}))
		if !sameIDs(last, []int64{ids[0]}) {
			t.Fatalf("last page %v", last)
		}
		if got := r.search(alice, SearchQuery{Text: "pagina", BeforeID: ids[0]}); len(got) != 0 {
			t.Fatalf("before the first: %v", hitIDs(got))
		}
		if got := hitIDs(r.search(alice, SearchQuery{Text: "pagina", BeforeID: 1 << 40})); len(got) != 5 {
			t.Fatalf("a cursor beyond every id: %v", got)
		}
		if got := r.search(alice, SearchQuery{Text: "pagina"}); len(got) != 5 {
			t.Fatalf("default limit: %d hits", len(got))
		}
	})
}

func TestSearchRefusesBadInput(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		r := newRules(t, db)
		alice := r.actor("alice")
		for _, q := range []SearchQuery{
			{Text: ""}, {Text: "   "}, {Text: "¡¿!?"}, {Text: strings.Repeat("a", maxSearchRunes+1)},
			{Text: "a b c d e f g h i"}, {Text: "bad\x00nul"}, {Text: "\xff\xfe"},
			{Text: "ok", Limit: maxSearchLimit + 1}, {Text: "ok", Limit: -1}, {Text: "ok", BeforeID: -1}, {Text: "ok", RoomID: -1},
		} {
			if _, err := r.svc.SearchMessages(r.ctx, alice, q); KindOf(err) != KindInvalid {
				t.Fatalf("%+v: %v, want invalid", q, err)
			}
		}
		if h := r.search(alice, SearchQuery{Text: strings.Repeat("a", maxSearchRunes), Limit: maxSearchLimit}); len(h) != 0 {
			t.Fatalf("the longest query found %d", len(h))
		}
	})
}

func TestSearchIsRateLimitedPerUser(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		svc := New(Deps{Store: models.NewStore(db), RateLimits: RateLimits{SearchPerUser: Rule{Burst: 2, Per: time.Hour}}})
		t.Cleanup(svc.Close)
		r := &rules{t: t, db: db, svc: svc, ctx: t.Context()}
		alice, bob := r.actor("alice"), r.actor("bob")
		r.search(alice, SearchQuery{Text: "uno"})
		r.search(alice, SearchQuery{Text: "dos"})
		if _, err := svc.SearchMessages(r.ctx, alice, SearchQuery{Text: "tres"}); KindOf(err) != KindRateLimited {
			t.Fatalf("third search: %v, want rate limited", err)
		}
		r.search(bob, SearchQuery{Text: "tres"}) // each user has their own allowance
	})
}

// The excerpt is HTML-escaped text with <mark> around matches and no other
// markup, cut around the first match.
func TestSearchExcerptIsEscaped(t *testing.T) {
	got := highlight(`<script>alert("hola")</script> & <b>Hola</b>`, []string{"hola"})
	want := `&lt;script&gt;alert(&#34;<mark>hola</mark>&#34;)&lt;/script&gt; &amp; &lt;b&gt;<mark>Hola</mark>&lt;/b&gt;`
	if got != want {
		t.Fatalf("excerpt\n%s\nwant\n%s", got, want)
	}
	stripped := strings.NewReplacer(markOpen, "", markClose, "").Replace(got)
	if strings.ContainsAny(stripped, `<>"`) {
		t.Fatalf("markup besides <mark> in %q", got)
	}
	long := strings.Repeat("palabra ", 30) + "aguja " + strings.Repeat("relleno ", 40)
	ex := highlight(long, []string{"AGUJA"})
	if !strings.HasPrefix(ex, "…") || !strings.HasSuffix(ex, "…") || !strings.Contains(ex, "<mark>aguja</mark>") {
		t.Fatalf("long excerpt %q", ex)
	}
	if n := len([]rune(strings.NewReplacer(markOpen, "", markClose, "").Replace(ex))); n > excerptRunes+2 {
		t.Fatalf("excerpt of %d characters", n)
	}
	if ex := highlight("nada que ver", []string{"otra"}); ex != "nada que ver" {
		t.Fatalf("no match: %q", ex)
	}
	if ex := highlight("Señor ÁRBOL", []string{"arbol", "senor"}); ex != "<mark>Señor</mark> <mark>ÁRBOL</mark>" {
		t.Fatalf("accents: %q", ex)
	}
}

// A hit encodes as its Message with excerpt added.
func TestSearchHitJSON(t *testing.T) {
	h := SearchHit{Message: Message{ID: 7, Type: "message", Content: "a <b>", RoomID: 3}, Excerpt: "a &lt;b&gt;"}
	raw, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	if back["excerpt"] != "a &lt;b&gt;" || back["content"] != "a <b>" || back["id"] != float64(7) || back["room_id"] != float64(3) {
		t.Fatalf("encoded %s", raw)
	}
	plain, _ := json.Marshal(h.Message)
	if !strings.HasPrefix(string(raw), string(plain[:len(plain)-1])+`,"excerpt":`) {
		t.Fatalf("not the message's encoding plus excerpt: %s", raw)
	}
}
