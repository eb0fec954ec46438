package sockets_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/izpochat/server/chat"
	"github.com/izpochat/server/models"
	"github.com/izpochat/server/storage"
)

// A file message of a private room reaches every door with a signed link in
// file_url (and in file.file_url where the door sends the file), never the
// plain stored URL that the local file route no longer serves for it.
func TestPrivateRoomFileLinksReachEveryDoor(t *testing.T) {
	a := newApp(t, "sqlite")
	local, err := storage.NewLocal(t.TempDir(), "/uploads", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { local.Close() })
	local.SetSigningSecret([]byte("links"))
	a.service.SetFileSigner(local, time.Hour)

	alice := a.register("alice")
	room := a.createRoom(alice, "secret", true)
	key := "0b9a6c2e-5d1f-4e4a-9c7b-1a2b3c4d5e6f_plan.pdf"
	f := &models.FileUpload{Filename: key, OriginalFilename: "plan.pdf", FileSize: 3, ContentType: "application/pdf",
		FileURL: "/uploads/" + key, UserID: alice.ID, CreatedAt: chat.Now()}
	if err := models.NewStore(a.db).InsertFiles(context.Background(), []*models.FileUpload{f}); err != nil {
		t.Fatal(err)
	}
	doors := openDoors(t, a, alice, room)
	a.mustJSON("POST", fmt.Sprintf("/api/rooms/%d/messages", room), alice.Token, map[string]any{"file_id": f.ID}, 201)

	signed := func(door string, v any) {
		t.Helper()
		s, _ := v.(string)
		if !strings.HasPrefix(s, "/uploads/"+key+"?exp=") || !strings.Contains(s, "&sig=") {
			t.Fatalf("%s: file_url %v, want a signed link to %s", door, v, key)
		}
	}
	for name, c := range map[string]*sioClient{"main": doors.main, "alias": doors.alias} {
		m := c.next("new_message").Arg(t)
		signed(name, m["file_url"])
	}
	m := doors.ns.next("message").Arg(t)
	if file, ok := m["file"].(map[string]any); !ok {
		t.Fatalf("/rooms: message without file: %v", m)
	} else {
		signed("/rooms file", file["file_url"])
	}
	raw := doors.raw.next("message")
	if file, ok := raw["file"].(map[string]any); ok {
		signed("raw file", file["file_url"])
	} else if raw["file_url"] != nil {
		signed("raw", raw["file_url"])
	} else {
		t.Fatalf("raw: message without a file link: %v", raw)
	}
}
