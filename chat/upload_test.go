package chat

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/izpochat/server/auth"
	"github.com/izpochat/server/internal/testdb"
	"github.com/izpochat/server/models"
	"github.com/izpochat/server/storage"
)

func TestFileNamesAreSanitized(t *testing.T) {
	for raw, want := range map[string]string{
		"photo.png":                       "photo.png",
		"../../etc/passwd.png":            "passwd.png",
		`C:\Users\x\mi foto.JPG`:          "mi foto.JPG",
		"..hidden.txt":                    "hidden.txt",
		"a\x00b\x1fc.txt":                 "abc.txt",
		"what?<>|.pdf":                    "what____.pdf",
		"":                                "file",
		"...":                             "file",
		strings.Repeat("ñ", 300) + ".txt": strings.Repeat("ñ", 127),
	} {
		if got := originalName(raw); got != want {
			t.Errorf("originalName(%q) = %q, want %q", raw, got, want)
		}
	}
	for original, suffix := range map[string]string{
		"mi foto.JPG":                     "_mi_foto.jpg",
		"año..nuevo.pdf":                  "_a_o.nuevo.pdf",
		"   .png":                         "_file.png",
		"日本語.txt":                         "_file.txt",
		"a--..__b.zip":                    "_a-b.zip",
		strings.Repeat("x", 300) + ".pdf": "_" + strings.Repeat("x", 96) + ".pdf",
	} {
		key := storedKey(original)
		if !strings.HasSuffix(key, suffix) || !storage.ValidKey(key) {
			t.Errorf("storedKey(%q) = %q, want suffix %q and a valid key", original, key, suffix)
		}
	}
}

func TestFileTypesAreSniffed(t *testing.T) {
	ok := map[string]string{
		"png": "\x89PNG\r\n\x1a\n....", "jpg": "\xff\xd8\xff\xe0", "gif": "GIF89a..", "webp": "RIFF\x00\x00\x00\x00WEBPVP8 ",
		"pdf": "%PDF-1.4", "docx": "PK\x03\x04...", "xls": oleMagic + "..", "zip": "PK\x05\x06....", "rar": "Rar!\x1a\x07\x00",
		"7z": "7z\xbc\xaf\x27\x1c..", "mp3": "\xff\xfb\x90\x00", "wav": "RIFF\x00\x00\x00\x00WAVEfmt ", "ogg": "OggS\x00",
		"mp4": "\x00\x00\x00\x18ftypmp42", "mov": "\x00\x00\x00\x14ftypqt  ", "avi": "RIFF\x00\x00\x00\x00AVI LIST",
		"txt": "hola\nmundo", "csv": "a,b\n1,2\n", "svg": `<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>`,
	}
	for ext, head := range ok {
		if _, good := sniff(ext, []byte(head)); !good {
			t.Errorf("%s: real content refused", ext)
		}
	}
	bad := map[string]string{
		"png": "\x7fELF\x02\x01", "jpg": "MZ\x90\x00", "pdf": "#!/bin/sh\n", "txt": "#!/usr/bin/env python\n",
		"gif": "\x89PNG\r\n\x1a\n", "wav": "RIFF\x00\x00\x00\x00AVI ", "txt ": "bin\x00ary", "svg": "just text",
		"csv": "<!DOCTYPE html><html>", "exe": "MZ", "docx": oleMagic, "mp4": "\xca\xfe\xba\xbe\x00\x00\x00\x00",
	}
	for ext, head := range bad {
		if _, good := sniff(strings.TrimSpace(ext), []byte(head)); good {
			t.Errorf("%s: %q accepted", ext, head)
		}
	}
	if ContentTypeOf("x_a.SVG") != "image/svg+xml" || ContentTypeOf("x.exe") != "" {
		t.Error("ContentTypeOf")
	}
}

type fileEnv struct {
	svc   *Service
	store *models.Store
	ann   Actor
	bob   Actor
}

func newFileEnv(t *testing.T, db *gorm.DB) fileEnv {
	t.Helper()
	store := models.NewStore(db)
	svc := New(Deps{Store: store, Tokens: auth.NewTokens([]byte("file-test-secret-0123456789abcdefgh"), time.Hour)})
	t.Cleanup(svc.Close)
	actor := func(name string) Actor {
		s, err := svc.Register(context.Background(), RegisterInput{Username: name, Email: name + "@example.com", Password: "password123"})
		if err != nil {
			t.Fatal(err)
		}
		a, err := svc.Authenticate(context.Background(), s.Token)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	return fileEnv{svc: svc, store: store, ann: actor("ann"), bob: actor("bob")}
}

func (e fileEnv) room(t *testing.T, owner Actor, name string) int64 {
	t.Helper()
	r, err := e.svc.CreateRoom(context.Background(), owner, RoomInput{Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	return r.ID
}

func (e fileEnv) file(t *testing.T, owner Actor, roomID *int64) int64 {
	t.Helper()
	f := &models.FileUpload{Filename: "k", OriginalFilename: "a.png", FileSize: 1, ContentType: "image/png",
		FileURL: "/uploads/k", UserID: owner.ID, RoomID: roomID, CreatedAt: Now()}
	if err := e.store.InsertFiles(context.Background(), []*models.FileUpload{f}); err != nil {
		t.Fatal(err)
	}
	return f.ID
}

// A message with file_id, on any door, attaches only the sender's own upload
// that is unattached or already in that room.
func TestFileAttachRules(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newFileEnv(t, db)
		ctx := context.Background()
		room, other := e.room(t, e.ann, "one"), e.room(t, e.ann, "two")

		unattached := e.file(t, e.ann, nil)
		msg, err := e.svc.PostMessage(ctx, e.ann, room, PostInput{FileID: &unattached})
		if err != nil || msg.FileID == nil || *msg.FileID != unattached || msg.Content != "📎 Archivo: a.png" || msg.File == nil {
			t.Fatalf("own unattached file: %+v %v", msg, err)
		}
		f, _ := e.store.FileByID(ctx, unattached)
		if f.RoomID == nil || *f.RoomID != room {
			t.Fatalf("file not attached to the room: %+v", f.RoomID)
		}
		if _, err := e.svc.PostMessage(ctx, e.ann, room, PostInput{Content: "again", FileID: &unattached}); err != nil {
			t.Fatalf("same room again: %v", err)
		}
		if _, err := e.svc.PostMessage(ctx, e.ann, other, PostInput{FileID: &unattached}); KindOf(err) != KindForbidden {
			t.Fatalf("file of another room: %v", err)
		}
		bobs := e.file(t, e.bob, nil)
		if _, err := e.svc.PostMessage(ctx, e.ann, room, PostInput{FileID: &bobs}); KindOf(err) != KindForbidden {
			t.Fatalf("someone else's file: %v", err)
		}
		missing := int64(99999)
		if _, err := e.svc.PostMessage(ctx, e.ann, room, PostInput{FileID: &missing}); KindOf(err) != KindNotFound {
			t.Fatalf("missing file: %v", err)
		}
		zero := int64(0)
		if _, err := e.svc.PostMessage(ctx, e.ann, room, PostInput{FileID: &zero}); KindOf(err) != KindInvalid {
			t.Fatalf("file_id 0: %v", err)
		}
	})
}

// failingStore reads what it is given, then fails.
type failingStore struct{ err error }

func (f failingStore) Put(_ context.Context, _ string, body io.Reader, _ int64, _ string) (string, error) {
	_, _ = io.Copy(io.Discard, body)
	return "", f.err
}
func (failingStore) URL(key string) string                { return "/x/" + key }
func (failingStore) Delete(context.Context, string) error { return nil }

func filesIn(l *storage.Local) ([]os.DirEntry, error) { return os.ReadDir(l.Dir()) }

func TestFileBatchConsistency(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newFileEnv(t, db)
		ctx := context.Background()
		local, err := storage.NewLocal(t.TempDir(), "/uploads", ContentTypeOf)
		if err != nil {
			t.Fatal(err)
		}
		defer local.Close()
		uploads := NewUploads(e.svc, local, UploadLimits{MaxFileBytes: 1 << 20, MaxFiles: 2})

		// Storage fails → no row; timeouts and failures are 504 and 502 kinds.
		for err, kind := range map[error]Kind{storage.ErrTimeout: KindTimeout, storage.ErrUpstream: KindBadGateway, errors.New("disk full"): KindInternal} {
			b, berr := NewUploads(e.svc, failingStore{err: fmt.Errorf("put: %w", err)}, UploadLimits{}).Begin(ctx, e.ann)
			if berr != nil {
				t.Fatal(berr)
			}
			if err := b.Add(ctx, "a.png", strings.NewReader("\x89PNG\r\n\x1a\nxx")); KindOf(err) != kind {
				t.Errorf("storage %v: got %v", err, KindOf(err))
			}
			if _, err := b.Commit(ctx, false); KindOf(err) != KindInvalid {
				t.Errorf("commit of nothing: %v", err)
			}
		}
		var rows int64
		db.Model(&models.FileUpload{}).Count(&rows)
		if rows != 0 {
			t.Fatalf("%d rows after storage failures", rows)
		}

		// Row insert fails (the table is gone) → the stored objects are removed.
		b, err := uploads.Begin(ctx, e.ann)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Add(ctx, "a.png", strings.NewReader("\x89PNG\r\n\x1a\nxx")); err != nil {
			t.Fatal(err)
		}
		if err := db.Migrator().DropTable(&models.FileUpload{}); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Commit(ctx, false); KindOf(err) != KindInternal {
			t.Fatalf("commit without a table: %v", err)
		}
		b.Abort(ctx)
		entries, _ := filesIn(local)
		if len(entries) != 0 {
			t.Fatalf("objects left after a failed commit: %v", entries)
		}
	})
}
