package chat

import (
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
)

const (
	maxOriginalNameBytes = 255 // file_uploads.original_filename
	maxSafeNameBytes     = 100
	maxExtensionBytes    = 16 // far above any allowed one ("pptx")
)

// originalName is the client's file name kept as data: its last path element,
// printable, without characters that mean something to a shell or a file system,
// at most 255 bytes. Never used as a path.
func originalName(raw string) string {
	raw = strings.ReplaceAll(raw, "\\", "/")
	if i := strings.LastIndex(raw, "/"); i >= 0 {
		raw = raw[i+1:]
	}
	raw = strings.ToValidUTF8(raw, "")
	var b strings.Builder
	for _, r := range raw {
		switch {
		case unicode.IsControl(r) || r == utf8.RuneError:
		case strings.ContainsRune(`<>:"|?*`, r):
			b.WriteRune('_')
		case unicode.IsSpace(r):
			b.WriteRune(' ')
		default:
			b.WriteRune(r)
		}
	}
	name := strings.Trim(strings.TrimLeft(b.String(), ". "), " ")
	// Trimmed again: a cut may end on a space (found by FuzzUploadNames).
	name = strings.TrimRight(truncateUTF8(name, maxOriginalNameBytes), " ")
	if name == "" || strings.TrimLeft(name, ".") == "" {
		return "file"
	}
	return name
}

// storedKey is the generated storage key "<uuid>_<safe name>": ASCII letters,
// digits, '.', '-' and '_' only, extension kept.
func storedKey(original string) string {
	ext := strings.Trim(asciiSafe(extensionOf(original)), "._-")
	base := strings.TrimSuffix(original, path.Ext(original))
	if len(ext) > maxExtensionBytes {
		// Not an extension we allow: kept in the name, within its bound
		// (FuzzUploadNames found that a long one overran the slice).
		base, ext = original, ""
	}
	safe := asciiSafe(base)
	room := maxSafeNameBytes
	if ext != "" {
		room -= len(ext) + 1
	}
	if len(safe) > room {
		safe = safe[:room]
	}
	safe = strings.Trim(safe, "._-")
	if safe == "" {
		safe = "file"
	}
	if ext != "" {
		safe += "." + ext
	}
	return uuid.NewString() + "_" + safe
}

// asciiSafe keeps [A-Za-z0-9.-_], turns everything else into '_' and collapses
// runs of punctuation, so the result never holds "..".
func asciiSafe(s string) string {
	var b strings.Builder
	var last rune
	for _, r := range s {
		keep := r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r))
		if !keep {
			if r != '.' && r != '-' {
				r = '_'
			}
			if last == '.' || last == '-' || last == '_' {
				continue
			}
		}
		b.WriteRune(r)
		last = r
	}
	return b.String()
}

func truncateUTF8(s string, max int) string {
	if len(s) <= max {
		return s
	}
	s = s[:max]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}
