package handlers

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/izpochat/server/chat"
	"github.com/izpochat/server/internal/testdb"
	"github.com/izpochat/server/models"
)

// fetch GETs a file URL without any token, as a browser following a link does.
func (e *uploadEnv) fetch(u string) (int, []byte) {
	e.t.Helper()
	resp, err := http.Get(e.srv.URL + u)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func signedLink(t *testing.T, u string) {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil || p.Query().Get("sig") == "" {
		t.Fatalf("%q is not a signed link", u)
	}
	exp, err := strconv.ParseInt(p.Query().Get("exp"), 10, 64)
	if err != nil || time.Until(time.Unix(exp, 0)) < 6*24*time.Hour || time.Until(time.Unix(exp, 0)) > 8*24*time.Hour {
		t.Fatalf("%q: expiry %v, want about the default 7 days", u, time.Unix(exp, 0))
	}
}

// TestPrivateRoomFilesNeedSignedLinks: a private room's file is shown to its
// members through a signed, expiring link in every view (upload answer, live
// event, history, file lists); its plain /uploads/<key> is not served to anyone,
// and a tampered link is refused. A public room's file keeps its stored URL, and
// so do old rows (full URLs of an earlier generation).
func TestPrivateRoomFilesNeedSignedLinks(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		env := newUploadEnv(t, db, uploadEnvOptions{})
		ann := env.user("ann")
		private := env.room(ann, "secret", true)
		public := env.room(ann, "lobby", false)
		events := make(chan chat.Event, 16)
		defer env.svc.Hub().Listen(func(ev chat.Event) { events <- ev })()

		status, raw := env.upload("/api/upload", ann.token, fileP("file", "plan.pdf", pdfBytes), fieldP("room_id", fmt.Sprint(private)))
		if status != http.StatusCreated {
			t.Fatalf("upload: %d %s", status, raw)
		}
		up := decode[fileJSON](t, raw)
		signedLink(t, up.FileURL)
		if up.PublicURL != up.FileURL {
			t.Fatalf("public_url %q != file_url %q", up.PublicURL, up.FileURL)
		}
		plain := "/uploads/" + up.Filename
		if code, body := env.fetch(up.FileURL); code != http.StatusOK || string(body) != string(pdfBytes) {
			t.Fatalf("signed link: %d %q", code, body)
		}
		if code, _ := env.fetch(plain); code != http.StatusNotFound {
			t.Fatalf("plain URL of a private room's file: %d, want 404", code)
		}
		tampered := strings.Replace(up.FileURL, "sig=", "sig=A", 1)
		if code, _ := env.fetch(tampered); code != http.StatusForbidden {
			t.Fatalf("tampered link: %d, want 403", code)
		}
		later := strings.Replace(up.FileURL, "exp=", "exp=9", 1) // another expiry, same signature
		if code, _ := env.fetch(later); code != http.StatusForbidden {
			t.Fatalf("link with a changed expiry: %d, want 403", code)
		}

		select {
		case ev := <-events:
			if m := ev.Message; m == nil || m.FileURL == nil || *m.FileURL != up.FileURL || m.File == nil || m.File.FileURL != up.FileURL {
				t.Fatalf("live event = %+v", ev.Message)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no live event")
		}
		msgs, err := env.svc.History(context.Background(), ann.actor, private, chat.HistoryQuery{})
		if err != nil || len(msgs) != 1 || msgs[0].FileURL == nil {
			t.Fatalf("history = %+v, %v", msgs, err)
		}
		signedLink(t, *msgs[0].FileURL)
		if code, _ := env.fetch(*msgs[0].FileURL); code != http.StatusOK {
			t.Fatalf("history's link: %d", code)
		}
		// Over HTTP too, and that page (signed links expire) is not kept rendered.
		code, page := env.do(http.MethodGet, fmt.Sprintf("/api/rooms/%d/messages", private), ann.token, nil, "")
		if hm := decode[[]chat.Message](t, page); code != http.StatusOK || len(hm) != 1 || hm[0].FileURL == nil {
			t.Fatalf("GET history: %d %s", code, page)
		} else {
			signedLink(t, *hm[0].FileURL)
		}
		if kept, _ := env.svc.HistoryCacheStats(); kept != 0 {
			t.Fatalf("%d history pages kept: one with signed links must not be", kept)
		}
		for _, path := range []string{fmt.Sprintf("/api/rooms/%d/files", private), "/api/files", fmt.Sprintf("/api/files/%d", up.ID)} {
			code, raw := env.do(http.MethodGet, path, ann.token, nil, "")
			if code != http.StatusOK || !strings.Contains(string(raw), "sig=") || strings.Contains(string(raw), `"`+plain+`"`) {
				t.Fatalf("%s: %d %s", path, code, raw)
			}
		}

		// A public room's file: its stored URL, served to anyone.
		status, raw = env.upload("/api/upload", ann.token, fileP("file", "menu.txt", txtBytes), fieldP("room_id", fmt.Sprint(public)))
		if status != http.StatusCreated {
			t.Fatalf("public upload: %d %s", status, raw)
		}
		pub := decode[fileJSON](t, raw)
		if pub.FileURL != "/uploads/"+pub.Filename {
			t.Fatalf("public room's file_url = %q", pub.FileURL)
		}
		if code, body := env.fetch(pub.FileURL); code != http.StatusOK || string(body) != string(txtBytes) {
			t.Fatalf("public file: %d %q", code, body)
		}

		// Old rows with full URLs and no file_uploads row: a public room's is
		// shown as stored and served; a private room's is shown signed.
		oldPublic := "http://old.example/uploads/" + pub.Filename
		oldPrivate := "https://old.example/uploads/" + up.Filename
		for _, m := range []*models.Message{
			{Content: "old public", UserID: ann.actor.ID, RoomID: public, FileURL: &oldPublic, CreatedAt: time.Now().UTC()},
			{Content: "old private", UserID: ann.actor.ID, RoomID: private, FileURL: &oldPrivate, CreatedAt: time.Now().UTC()},
		} {
			if err := env.store.InsertMessage(context.Background(), m); err != nil {
				t.Fatal(err)
			}
		}
		last := func(room int64) string {
			msgs, err := env.svc.History(context.Background(), ann.actor, room, chat.HistoryQuery{Limit: 1})
			if err != nil || len(msgs) != 1 || msgs[0].FileURL == nil {
				t.Fatalf("history of %d = %+v, %v", room, msgs, err)
			}
			return *msgs[0].FileURL
		}
		if got := last(public); got != oldPublic {
			t.Fatalf("old public row shown as %q, want it as stored", got)
		}
		if got := last(private); !strings.HasPrefix(got, plain+"?") {
			t.Fatalf("old private row shown as %q, want a signed link to %s", got, plain)
		} else if code, _ := env.fetch(got); code != http.StatusOK {
			t.Fatalf("old private row's link: %d", code)
		}
		// Without file_uploads rows (a database of the generation that had none),
		// the messages linking to a file decide.
		for _, id := range []int64{pub.ID, up.ID} {
			if err := env.store.DeleteFile(context.Background(), id); err != nil {
				t.Fatal(err)
			}
		}
		if code, _ := env.fetch(pub.FileURL); code != http.StatusOK {
			t.Fatalf("public file without its row: %d", code)
		}
		if code, _ := env.fetch(plain); code != http.StatusNotFound {
			t.Fatalf("private file without its row: %d, want 404", code)
		}
	})
}
