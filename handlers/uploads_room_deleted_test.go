package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"

	"gorm.io/gorm"

	"github.com/izpochat/server/internal/testdb"
	"github.com/izpochat/server/models"
	"github.com/izpochat/server/storage"
)

// uploadTo uploads one file as user (to roomID, or to no room when 0) and decodes the answer.
func (e *uploadEnv) uploadTo(user testUser, roomID int64, name string, content []byte) fileJSON {
	e.t.Helper()
	parts := []formPart{fileP("file", name, content)}
	if roomID != 0 {
		parts = append(parts, fieldP("room_id", fmt.Sprint(roomID)))
	}
	status, raw := e.upload("/api/upload", user.token, parts...)
	if status != http.StatusCreated {
		e.t.Fatalf("upload %s to room %d: %d %s", name, roomID, status, raw)
	}
	return decode[fileJSON](e.t, raw)
}

func (e *uploadEnv) deleteRoom(owner testUser, roomID int64) {
	e.t.Helper()
	if code, raw := e.do(http.MethodDelete, fmt.Sprintf("/api/rooms/%d", roomID), owner.token, nil, ""); code != http.StatusOK {
		e.t.Fatalf("delete room %d: %d %s", roomID, code, raw)
	}
}

func (e *uploadEnv) pendingDeletions() int64 {
	e.t.Helper()
	var n int64
	if err := e.store.DB().Model(&models.FileDeletion{}).Count(&n).Error; err != nil {
		e.t.Fatal(err)
	}
	return n
}

// TestDeletingARoomDeletesItsFiles: deleting a room, private or public, deletes
// its files — rows and objects on disk — so neither the plain /uploads/<key>
// nor a signed link handed out before answers with the file, and other rooms'
// files (and a file attached to no room) stay as they were.
func TestDeletingARoomDeletesItsFiles(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		env := newUploadEnv(t, db, uploadEnvOptions{})
		ann := env.user("ann")
		bob := env.user("bob")
		private := env.room(ann, "secret", true)
		public := env.room(ann, "lobby", false)
		otherPrivate := env.room(bob, "bob-secret", true)
		otherPublic := env.room(bob, "bob-lobby", false)

		doomedPrivate := env.uploadTo(ann, private, "plan.pdf", pdfBytes)
		doomedPublic := env.uploadTo(ann, public, "menu.txt", txtBytes)
		keptPrivate := env.uploadTo(bob, otherPrivate, "keep.pdf", pdfBytes)
		keptPublic := env.uploadTo(bob, otherPublic, "keep.txt", txtBytes)
		unattached := env.uploadTo(ann, 0, "mine.png", pngBytes)
		signedLink(t, doomedPrivate.FileURL)
		if code, _ := env.fetch(doomedPrivate.FileURL); code != http.StatusOK {
			t.Fatalf("signed link before the room is deleted: %d", code)
		}
		if code, _ := env.fetch(doomedPublic.FileURL); code != http.StatusOK {
			t.Fatalf("public file before the room is deleted: %d", code)
		}

		env.deleteRoom(ann, private)
		env.deleteRoom(ann, public)

		for _, f := range []fileJSON{doomedPrivate, doomedPublic} {
			for _, u := range []string{"/uploads/" + f.Filename, f.FileURL} {
				if code, body := env.fetch(u); code != http.StatusNotFound && code != http.StatusForbidden {
					t.Fatalf("%s of a deleted room's file: %d %q, want 404 or 403", u, code, body)
				}
			}
			if slices.Contains(env.storedObjects(), f.Filename) {
				t.Fatalf("object %s of a deleted room is still on disk", f.Filename)
			}
			if code, raw := env.do(http.MethodGet, fmt.Sprintf("/api/files/%d", f.ID), ann.token, nil, ""); code != http.StatusNotFound {
				t.Fatalf("the uploader's view of a deleted room's file: %d %s, want 404", code, raw)
			}
		}
		if n := env.fileRows(); n != 3 {
			t.Fatalf("%d file rows left, want the 3 of other rooms and of no room", n)
		}
		if n := env.pendingDeletions(); n != 0 {
			t.Fatalf("%d file deletions still pending after the objects were removed", n)
		}

		if code, _ := env.fetch(keptPrivate.FileURL); code != http.StatusOK {
			t.Fatalf("another private room's signed link: %d", code)
		}
		if code, _ := env.fetch("/uploads/" + keptPrivate.Filename); code != http.StatusNotFound {
			t.Fatalf("another private room's plain URL: %d, want 404", code)
		}
		for _, f := range []fileJSON{keptPublic, unattached} {
			if code, _ := env.fetch(f.FileURL); code != http.StatusOK {
				t.Fatalf("%s (not in a deleted room): %d", f.FileURL, code)
			}
		}
		for _, f := range []fileJSON{keptPrivate, keptPublic, unattached} {
			if !slices.Contains(env.storedObjects(), f.Filename) {
				t.Fatalf("object %s of a room not deleted is gone", f.Filename)
			}
		}
	})
}

// failingDeletes is local storage whose Delete fails while fail is set (and
// that still signs links, as local storage does).
type failingDeletes struct {
	*storage.Local
	fail atomic.Bool
}

func (f *failingDeletes) Delete(ctx context.Context, key string) error {
	if f.fail.Load() {
		return fmt.Errorf("test storage: %w", errors.Join(storage.ErrUpstream, errors.New("delete refused")))
	}
	return f.Local.Delete(ctx, key)
}

// TestDeletedRoomFileStaysRefusedWhenItsObjectRemains: when storage fails to
// remove a deleted room's object, the room is deleted all the same, and the
// object that remains is served to nobody — not at its plain URL (which a
// public room's file was served at), not through an old signed link; the next
// room deletion removes it.
func TestDeletedRoomFileStaysRefusedWhenItsObjectRemains(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		var objects *failingDeletes
		env := newUploadEnv(t, db, uploadEnvOptions{wrapLocal: func(l *storage.Local) storage.Store {
			objects = &failingDeletes{Local: l}
			return objects
		}})
		ann := env.user("ann")
		private := env.room(ann, "secret", true)
		public := env.room(ann, "lobby", false)
		inPrivate := env.uploadTo(ann, private, "plan.pdf", pdfBytes)
		inPublic := env.uploadTo(ann, public, "menu.txt", txtBytes)

		objects.fail.Store(true)
		env.deleteRoom(ann, private)
		env.deleteRoom(ann, public)
		for _, f := range []fileJSON{inPrivate, inPublic} {
			if !slices.Contains(env.storedObjects(), f.Filename) {
				t.Fatalf("object %s removed although storage failed", f.Filename)
			}
			for _, u := range []string{"/uploads/" + f.Filename, f.FileURL} {
				if code, body := env.fetch(u); code != http.StatusNotFound {
					t.Fatalf("%s of a deleted room's remaining object: %d %q, want 404", u, code, body)
				}
			}
		}
		if n := env.pendingDeletions(); n != 2 {
			t.Fatalf("%d file deletions pending, want 2", n)
		}

		objects.fail.Store(false)
		env.deleteRoom(ann, env.room(ann, "empty", false))
		for _, f := range []fileJSON{inPrivate, inPublic} {
			if slices.Contains(env.storedObjects(), f.Filename) {
				t.Fatalf("object %s still on disk after the retry", f.Filename)
			}
		}
		if n := env.pendingDeletions(); n != 0 {
			t.Fatalf("%d file deletions pending after the retry, want 0", n)
		}
	})
}
