package handlers_test

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/izpochat/server/auth"
	"github.com/izpochat/server/config"
	"github.com/izpochat/server/internal/testkit/testapp"
	"github.com/izpochat/server/models"
)

var fuzzStoredName = regexp.MustCompile(`^[0-9a-f-]{36}_[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)

// Any file name (as the client writes it in the part's Content-Disposition,
// quoting included) with any content, through the real upload route onto
// local disk: never a 5xx, errors in the contract's shape, and what is stored
// lands directly in the uploads folder under a generated safe name, its
// original name kept only as safe data.
func FuzzUploadFileName(f *testing.F) {
	pdf, png := "%PDF-1.4\n1 0 obj\n", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
	for _, s := range [][2]string{
		{`"informe final.pdf"`, pdf}, {`"../../etc/passwd.pdf"`, pdf}, {`"C:\\Users\\ana\\foto.png"`, png},
		{`"..\\..\\x.png"`, png}, {`"a\".pdf"`, pdf}, {`"` + strings.Repeat("ñ", 200) + `.pdf"`, pdf},
		{`foto.png`, png}, {`"x.exe"`, "MZ"}, {`"x.pdf"`, "not a pdf"}, {`""`, pdf}, {`"."`, pdf},
		{"\"a\r\nX-Injected: 1.pdf\"", pdf}, {`"a.` + strings.Repeat("p", 150) + `"`, pdf},
		{`"x.pdf"; filename*=UTF-8''%2e%2e%2f%2e%2e%2fevil.pdf`, pdf}, {`"%2e%2e%2fx.png"`, png},
	} {
		f.Add(s[0], []byte(s[1]))
	}
	// The app as main wires it (testapp), its uploads on local disk as by
	// default, served in process.
	app := testapp.Start(f, "sqlite", testapp.WithConfig(func(c *config.Config) { c.MaxFileBytes, c.MaxFiles = 1<<20, 10 }))
	db, handler := app.DB, app.Handler
	dir := filepath.Join(app.Config.DataDir, "uploads")
	tokens := auth.NewTokens(app.Config.JWTSecret, app.Config.TokenTTL)
	// Stored directly, its token issued directly: hashing takes seconds under -race.
	user := models.User{Username: "uploader", Email: "uploader@example.com", PasswordHash: "x", CreatedAt: time.Now()}
	if err := db.Create(&user).Error; err != nil {
		f.Fatal(err)
	}
	token, err := tokens.Issue(user.ID, user.Username)
	if err != nil {
		f.Fatal(err)
	}

	f.Fuzz(func(t *testing.T, filenameParam string, content []byte) {
		var body bytes.Buffer
		body.WriteString("--B\r\nContent-Disposition: form-data; name=\"file\"; filename=" + filenameParam +
			"\r\nContent-Type: image/png\r\n\r\n")
		body.Write(content)
		body.WriteString("\r\n--B--\r\n")
		req := httptest.NewRequest("POST", "/api/uploads", &body)
		req.RemoteAddr = "127.0.0.1:40000"
		req.Header.Set("Content-Type", "multipart/form-data; boundary=B")
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		what := "filename=" + filenameParam
		if rec.Code >= 500 {
			t.Fatalf("%s: status %d: %s", what, rec.Code, rec.Body.Bytes())
		}
		if rec.Code >= 400 {
			var e struct{ Error, Detail string }
			if json.Unmarshal(rec.Body.Bytes(), &e) != nil || e.Error == "" || e.Detail != e.Error {
				t.Fatalf("%s: status %d, error not in the contract's shape: %s", what, rec.Code, rec.Body.Bytes())
			}
			return
		}
		var file struct {
			Filename         string `json:"filename"`
			OriginalFilename string `json:"original_filename"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &file); err != nil {
			t.Fatalf("%s: status %d, answer %s", what, rec.Code, rec.Body.Bytes())
		}
		if !fuzzStoredName.MatchString(file.Filename) {
			t.Fatalf("%s: stored as %q", what, file.Filename)
		}
		o := file.OriginalFilename
		if o == "" || len(o) > 255 || !utf8.ValidString(o) || strings.ContainsAny(o, `/\`) || strings.HasPrefix(o, ".") {
			t.Fatalf("%s: original name kept as %q", what, o)
		}
		if _, err := os.Stat(filepath.Join(dir, file.Filename)); err != nil {
			t.Fatalf("%s: stored file not in the uploads folder: %v", what, err)
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.IsDir() || !fuzzStoredName.MatchString(e.Name()) {
				t.Fatalf("%s: the uploads folder holds %q", what, e.Name())
			}
		}
		// Remove what it stored, so the folder stays small however long it runs.
		_ = os.Remove(filepath.Join(dir, file.Filename))
	})
}
