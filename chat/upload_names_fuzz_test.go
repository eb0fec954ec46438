package chat

import (
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/izpochat/server/storage"
)

// storedKeyShape is "<uuid>_<safe name>" with at most 100 bytes of safe name.
var storedKeyShape = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}_[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)

// Whatever file name a client sends in a multipart upload, the name we keep is
// valid UTF-8, one path element that is never "." or "..", printable, bounded,
// stable when cleaned again; the storage key made from it is ASCII, safe for
// every storage backend, bounded, and keeps the extension we checked.
func FuzzUploadNames(f *testing.F) {
	for _, s := range []string{
		"photo.png", "../../etc/passwd.png", `C:\Users\x\mi foto.JPG`, "..hidden.txt", "a\x00b\x1fc.txt",
		"what?<>|.pdf", "", "...", strings.Repeat("ñ", 300) + ".txt", "año..nuevo.pdf", "   .png", "日本語.txt",
		"a--..__b.zip", strings.Repeat("x", 300) + ".pdf", "x.\xff\xfe", "..\\..\\win.ini", "/", "a/..", "%2e%2e%2fx.png",
		"report.PDF\u202e", "e\u0301.png", "\u2028.txt", "a." + strings.Repeat("p", 200), ".", " . . .png",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		name := originalName(raw)
		switch {
		case !utf8.ValidString(name), name == "", len(name) > maxOriginalNameBytes:
			t.Fatalf("originalName(%q) = %q: empty, too long or not UTF-8", raw, name)
		case strings.ContainsAny(name, `/\<>:"|?*`), name == ".", name == "..", strings.HasPrefix(name, "."):
			t.Fatalf("originalName(%q) = %q: a path, or a hidden name", raw, name)
		case strings.IndexFunc(name, unicode.IsControl) >= 0 || strings.ContainsRune(name, utf8.RuneError):
			t.Fatalf("originalName(%q) = %q: control characters", raw, name)
		}
		if again := originalName(name); again != name {
			t.Fatalf("originalName(%q) = %q, cleaned again %q", raw, name, again)
		}
		for _, original := range []string{name, raw} {
			key := storedKey(original)
			if !storedKeyShape.MatchString(key) || !storage.ValidKey(key) || strings.Contains(key, "..") {
				t.Fatalf("storedKey(%q) = %q", original, key)
			}
			if ext := extensionOf(original); allowedTypes[ext].contentType != "" && !strings.HasSuffix(key, "."+ext) {
				t.Fatalf("storedKey(%q) = %q lost the extension %q", original, key, ext)
			}
		}
	})
}
