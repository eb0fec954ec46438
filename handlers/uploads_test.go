package handlers

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/izpochat/server/chat"
	"github.com/izpochat/server/internal/testdb"
)

func TestUploadLocalEndToEnd(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		env := newUploadEnv(t, db, uploadEnvOptions{})
		ann, bob := env.user("ann"), env.user("bob")
		roomID := env.room(ann, "general", false)

		events := make(chan chat.Event, 16)
		defer env.svc.Hub().Listen(func(ev chat.Event) { events <- ev })()

		// room_id after the file: the room is checked once the form is read.
		status, raw := env.upload("/api/upload", ann.token, fileP("file", `C:\fotos\..\mi gato.png`, pngBytes), fieldP("room_id", fmt.Sprint(roomID)))
		if status != http.StatusCreated {
			t.Fatalf("upload: %d %s", status, raw)
		}
		up := decode[struct {
			fileJSON
			Message   string `json:"message"`
			MessageID *int64 `json:"message_id"`
		}](t, raw)
		if up.ContentType != "image/png" || up.OriginalFilename != "mi gato.png" || up.FileSize != int64(len(pngBytes)) ||
			up.RoomID == nil || *up.RoomID != roomID || up.PublicURL != up.FileURL || up.MessageID == nil || up.Message == "" {
			t.Fatalf("answer = %s", raw)
		}
		if !strings.HasSuffix(up.Filename, "_mi_gato.png") || len(up.Filename) != 36+len("_mi_gato.png") || up.FileURL != "/uploads/"+up.Filename {
			t.Fatalf("stored name %q, url %q", up.Filename, up.FileURL)
		}

		select {
		case ev := <-events:
			m := ev.Message
			if ev.Type != chat.EventMessage || ev.RoomID != roomID || m == nil || m.ID != *up.MessageID ||
				m.Content != "📎 Archivo: mi gato.png" || m.FileID == nil || *m.FileID != up.ID || m.FileURL == nil || *m.FileURL != up.FileURL {
				t.Fatalf("live event = %+v (message %+v)", ev, m)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("the file message was not delivered live")
		}

		resp, err := http.Get(env.srv.URL + up.FileURL)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !bytes.Equal(got, pngBytes) || resp.Header.Get("Content-Type") != "image/png" ||
			resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("download: %d %v, %d bytes", resp.StatusCode, resp.Header, len(got))
		}

		for _, path := range []string{"/api/uploads/%d", "/api/files/%d", "/api/files", "/api/users/me/files", "/api/rooms/" + fmt.Sprint(roomID) + "/files"} {
			if strings.Contains(path, "%d") {
				path = fmt.Sprintf(path, up.ID)
			}
			status, raw := env.do(http.MethodGet, path, ann.token, nil, "")
			if status != 200 || !strings.Contains(string(raw), up.Filename) {
				t.Errorf("GET %s: %d %s", path, status, raw)
			}
		}
		// Bob reads the public room's file, but may not delete it.
		if status, raw := env.do(http.MethodGet, fmt.Sprintf("/api/files/%d", up.ID), bob.token, nil, ""); status != 200 {
			t.Errorf("bob reads: %d %s", status, raw)
		}
		if status, raw := env.do(http.MethodDelete, fmt.Sprintf("/api/uploads/%d", up.ID), bob.token, nil, ""); status != http.StatusForbidden {
			t.Errorf("bob deletes ann's file: %d %s", status, raw)
		}
		if _, err := os.Stat(filepath.Join(env.dir, up.Filename)); err != nil {
			t.Fatalf("refused delete removed the object: %v", err)
		}

		if status, raw := env.do(http.MethodDelete, fmt.Sprintf("/api/uploads/%d", up.ID), ann.token, nil, ""); status != 200 {
			t.Fatalf("delete: %d %s", status, raw)
		}
		if _, err := os.Stat(filepath.Join(env.dir, up.Filename)); !os.IsNotExist(err) {
			t.Fatalf("object still on disk: %v", err)
		}
		if env.fileRows() != 0 {
			t.Fatal("row still there")
		}
		if status, _ := env.do(http.MethodGet, fmt.Sprintf("/api/uploads/%d", up.ID), ann.token, nil, ""); status != 404 {
			t.Fatalf("GET deleted file: %d", status)
		}
		if resp, _ := http.Get(env.srv.URL + up.FileURL); resp.StatusCode != 404 {
			t.Fatalf("download of deleted file: %d", resp.StatusCode)
		}
	})
}

func TestUploadSeveralFilesAndOne(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		env := newUploadEnv(t, db, uploadEnvOptions{})
		ann := env.user("ann")
		roomID := env.room(ann, "docs", true)
		status, raw := env.upload("/api/uploads", ann.token, fieldP("room_id", fmt.Sprint(roomID)), fieldP("description", "papers"),
			fileP("files", "a.pdf", pdfBytes), fileP("files", "song.mp3", mp3Bytes), fileP("files", "notes.txt", txtBytes))
		if status != http.StatusCreated {
			t.Fatalf("%d %s", status, raw)
		}
		files := decode[[]fileJSON](t, raw)
		want := []string{"application/pdf", "audio/mpeg", "text/plain; charset=utf-8"}
		if len(files) != 3 {
			t.Fatalf("%s", raw)
		}
		for i, f := range files {
			if f.ContentType != want[i] || f.RoomID == nil || *f.RoomID != roomID {
				t.Errorf("file %d: %+v", i, f)
			}
		}
		// POST /api/uploads posts no message: the client sends one with file_id.
		msgs, err := env.svc.History(t.Context(), ann.actor, roomID, chat.HistoryQuery{})
		if err != nil || len(msgs) != 0 {
			t.Fatalf("messages after /api/uploads: %v %v", msgs, err)
		}
		status, raw = env.upload("/api/uploads", ann.token, fileP("file", "one.png", pngBytes))
		if one := decode[fileJSON](t, raw); status != 201 || one.ID == 0 || one.RoomID != nil {
			t.Fatalf("single: %d %s", status, raw)
		}
		if len(env.storedObjects()) != 4 || env.fileRows() != 4 {
			t.Fatalf("objects %v, rows %d", env.storedObjects(), env.fileRows())
		}
		status, raw = env.do(http.MethodGet, "/api/uploads/types/allowed", "", nil, "")
		allowed := decode[chat.AllowedTypes](t, raw)
		if status != 200 || len(allowed.Extensions) != 24 || allowed.MaxFiles != 10 || allowed.MaxFileSize != 1<<20 {
			t.Fatalf("allowed: %d %s", status, raw)
		}
	})
}

func TestUploadRejectsBadInput(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		env := newUploadEnv(t, db, uploadEnvOptions{maxFileBytes: 1 << 20})
		ann, bob := env.user("ann"), env.user("bob")
		bobsRoom := env.room(bob, "bob's secrets", true)
		annsRoom := env.room(ann, "ann's", false)
		eleven := make([]formPart, 11)
		for i := range eleven {
			eleven[i] = fileP("files", fmt.Sprintf("f%d.png", i), pngBytes)
		}
		overLimit := append(append([]byte{}, pngBytes...), make([]byte, 1<<20)...)
		cases := []struct {
			name   string
			parts  []formPart
			status int
		}{
			{"no file", []formPart{fieldP("room_id", fmt.Sprint(annsRoom))}, 400},
			{"no parts", nil, 400},
			{"eleven files", eleven, 400},
			{"empty file", []formPart{fileP("file", "empty.png", nil)}, 400},
			{"file field without file name", []formPart{fieldP("file", "just text")}, 400},
			{"wrong type", []formPart{fileP("file", "setup.exe", peBytes)}, 415},
			{"no extension", []formPart{fileP("file", "README", txtBytes)}, 415},
			{"ELF as png", []formPart{fileP("file", "cat.png", elfBytes)}, 415},
			{"PE as jpg", []formPart{fileP("file", "cat.jpg", peBytes)}, 415},
			{"script as txt", []formPart{fileP("file", "notes.txt", []byte("#!/bin/sh\nrm -rf /\n"))}, 415},
			{"html as txt", []formPart{fileP("file", "page.txt", []byte("<html><script>alert(1)</script></html>"))}, 415},
			{"png as pdf", []formPart{fileP("file", "doc.pdf", pngBytes)}, 415},
			{"good then spoofed", []formPart{fileP("files", "ok.png", pngBytes), fileP("files", "bad.png", elfBytes)}, 415},
			{"over the limit", []formPart{fileP("file", "big.png", overLimit)}, 413},
			{"room of others, room first", []formPart{fieldP("room_id", fmt.Sprint(bobsRoom)), fileP("file", "a.png", pngBytes)}, 403},
			{"room of others, room last", []formPart{fileP("file", "a.png", pngBytes), fieldP("room_id", fmt.Sprint(bobsRoom))}, 403},
			{"missing room", []formPart{fileP("file", "a.png", pngBytes), fieldP("room_id", "9999")}, 404},
			{"bad room id", []formPart{fileP("file", "a.png", pngBytes), fieldP("room_id", "abc")}, 400},
		}
		for _, tc := range cases {
			for _, path := range []string{"/api/upload", "/api/uploads"} {
				status, raw := env.upload(path, ann.token, tc.parts...)
				body := decode[errorBody](t, raw)
				if status != tc.status || body.Error == "" || body.Error != body.Detail {
					t.Errorf("%s %s: %d %s, want %d", path, tc.name, status, raw, tc.status)
				}
			}
			if objs := env.storedObjects(); len(objs) != 0 || env.fileRows() != 0 {
				t.Fatalf("%s left objects %v and %d rows", tc.name, objs, env.fileRows())
			}
		}
		if status, _ := env.do(http.MethodPost, "/api/uploads", ann.token, strings.NewReader(`{"file":"x"}`), "application/json"); status != 400 {
			t.Errorf("JSON body: %d", status)
		}
		if status, _ := env.upload("/api/uploads", "", fileP("file", "a.png", pngBytes)); status != 401 {
			t.Errorf("no token: %d", status)
		}
		// Deleting someone else's file, or a missing one.
		status, raw := env.upload("/api/uploads", bob.token, fileP("file", "b.png", pngBytes))
		bobs := decode[fileJSON](t, raw)
		if status != 201 {
			t.Fatalf("bob uploads: %d %s", status, raw)
		}
		if status, _ := env.do(http.MethodDelete, fmt.Sprintf("/api/uploads/%d", bobs.ID), ann.token, nil, ""); status != 403 {
			t.Errorf("ann deletes bob's file: %d", status)
		}
		if status, _ := env.do(http.MethodGet, fmt.Sprintf("/api/uploads/%d", bobs.ID), ann.token, nil, ""); status != 404 {
			t.Errorf("ann reads bob's unattached file: %d", status)
		}
		if status, _ := env.do(http.MethodDelete, "/api/uploads/424242", ann.token, nil, ""); status != 404 {
			t.Errorf("delete missing: %d", status)
		}
		if status, _ := env.do(http.MethodGet, fmt.Sprintf("/api/rooms/%d/files", bobsRoom), ann.token, nil, ""); status != 403 {
			t.Errorf("ann lists bob's private room files: %d", status)
		}
		if len(env.storedObjects()) != 1 || env.fileRows() != 1 {
			t.Fatalf("bob's file should remain: %v", env.storedObjects())
		}
	})
}

func TestUploadOverLimitIsRefusedWhileStreaming(t *testing.T) {
	env := newUploadEnv(t, testdb.Open(t, "sqlite"), uploadEnvOptions{maxFileBytes: 1 << 20})
	ann := env.user("ann")
	body, written := streamedUpload(t, "big.png", 200<<20)
	start := time.Now()
	status, raw := env.do(http.MethodPost, "/api/upload", ann.token, body, body.contentType)
	if status != http.StatusRequestEntityTooLarge {
		t.Fatalf("%d %s", status, raw)
	}
	// The answer came long before the 200 MB were sent.
	if n := written(); n > 32<<20 {
		t.Fatalf("the client sent %d bytes before the 413", n)
	}
	t.Logf("413 after the client sent %d bytes (%s)", written(), time.Since(start))
	if len(env.storedObjects()) != 0 {
		t.Fatal("objects left")
	}
}
