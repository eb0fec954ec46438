package chat

import (
	"bytes"
	"net/http"
	"path"
	"slices"
	"strings"
	"unicode/utf8"
)

// fileType is one allowed kind of upload: the content type it is stored and
// served with, and how its first bytes must look.
type fileType struct {
	contentType string
	matches     func(head []byte) bool
}

// allowedTypes is the contract's list of extensions. The type is decided by the
// extension and confirmed by the content: a ".png" must start like a PNG.
var allowedTypes = map[string]fileType{
	"pdf":  {"application/pdf", prefix("%PDF-")},
	"doc":  {"application/msword", prefix(oleMagic)},
	"xls":  {"application/vnd.ms-excel", prefix(oleMagic)},
	"ppt":  {"application/vnd.ms-powerpoint", prefix(oleMagic)},
	"docx": {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", prefix(zipMagic)},
	"xlsx": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", prefix(zipMagic)},
	"pptx": {"application/vnd.openxmlformats-officedocument.presentationml.presentation", prefix(zipMagic)},
	"txt":  {"text/plain; charset=utf-8", plainText},
	"csv":  {"text/csv; charset=utf-8", plainText},
	"jpg":  {"image/jpeg", prefix("\xff\xd8\xff")},
	"jpeg": {"image/jpeg", prefix("\xff\xd8\xff")},
	"png":  {"image/png", prefix("\x89PNG\r\n\x1a\n")},
	"gif":  {"image/gif", anyOf(prefix("GIF87a"), prefix("GIF89a"))},
	"webp": {"image/webp", riff("WEBP")},
	"svg":  {"image/svg+xml", svgText},
	"mp3":  {"audio/mpeg", anyOf(prefix("ID3"), mpegFrame)},
	"wav":  {"audio/wav", riff("WAVE")},
	"ogg":  {"audio/ogg", prefix("OggS")},
	"mp4":  {"video/mp4", isoBox("ftyp")},
	"mov":  {"video/quicktime", isoBox("ftyp", "moov", "mdat", "wide", "free", "skip", "pnot")},
	"avi":  {"video/x-msvideo", riff("AVI ")},
	"zip":  {"application/zip", anyOf(prefix(zipMagic), prefix("PK\x05\x06"), prefix("PK\x07\x08"))},
	"rar":  {"application/vnd.rar", prefix("Rar!\x1a\x07")},
	"7z":   {"application/x-7z-compressed", prefix("7z\xbc\xaf\x27\x1c")},
}

const (
	oleMagic = "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
	zipMagic = "PK\x03\x04"
	// sniffLen is how much of a file is read before deciding its type.
	sniffLen = 4096
)

// executableMagic starts programs and scripts, refused whatever the extension says.
var executableMagic = []string{
	"\x7fELF",                              // Linux
	"MZ",                                   // Windows PE
	"\xfe\xed\xfa\xce", "\xfe\xed\xfa\xcf", // Mach-O
	"\xce\xfa\xed\xfe", "\xcf\xfa\xed\xfe", // Mach-O, little endian
	"\xca\xfe\xba\xbe", // Mach-O universal / Java class
	"\x00asm",          // WebAssembly
	"#!",               // scripts
}

// ContentTypeOf is the content type a stored name is served with ("" when its
// extension is not an allowed one).
func ContentTypeOf(name string) string {
	return allowedTypes[extensionOf(name)].contentType
}

// extensionOf is name's lower-case extension without the dot.
func extensionOf(name string) string {
	return strings.ToLower(strings.TrimPrefix(path.Ext(name), "."))
}

// AllowedTypes describes what may be uploaded (GET /api/uploads/types/allowed).
type AllowedTypes struct {
	Extensions   []string `json:"extensions"`
	ContentTypes []string `json:"content_types"`
	MaxFileSize  int64    `json:"max_file_size"`
	MaxFiles     int      `json:"max_files"`
}

func allowedTypesView(l UploadLimits) AllowedTypes {
	out := AllowedTypes{MaxFileSize: l.MaxFileBytes, MaxFiles: l.MaxFiles, Extensions: []string{}, ContentTypes: []string{}}
	for ext, t := range allowedTypes {
		out.Extensions = append(out.Extensions, ext)
		if ct, _, _ := strings.Cut(t.contentType, ";"); !slices.Contains(out.ContentTypes, ct) {
			out.ContentTypes = append(out.ContentTypes, ct)
		}
	}
	slices.Sort(out.Extensions)
	slices.Sort(out.ContentTypes)
	return out
}

// sniff checks that head (the file's first bytes) fits extension ext.
func sniff(ext string, head []byte) (fileType, bool) {
	t, ok := allowedTypes[ext]
	if !ok {
		return fileType{}, false
	}
	for _, m := range executableMagic {
		if bytes.HasPrefix(head, []byte(m)) {
			return fileType{}, false
		}
	}
	return t, t.matches(head)
}

func prefix(magic string) func([]byte) bool {
	return func(head []byte) bool { return bytes.HasPrefix(head, []byte(magic)) }
}

func anyOf(checks ...func([]byte) bool) func([]byte) bool {
	return func(head []byte) bool {
		for _, c := range checks {
			if c(head) {
				return true
			}
		}
		return false
	}
}

// riff matches a RIFF container of the given form (WAVE, AVI , WEBP).
func riff(form string) func([]byte) bool {
	return func(head []byte) bool {
		return len(head) >= 12 && string(head[:4]) == "RIFF" && string(head[8:12]) == form
	}
}

// isoBox matches an ISO/QuickTime file whose first box is one of kinds.
func isoBox(kinds ...string) func([]byte) bool {
	return func(head []byte) bool {
		return len(head) >= 8 && slices.Contains(kinds, string(head[4:8]))
	}
}

// mpegFrame matches an MPEG audio frame header without an ID3 tag.
func mpegFrame(head []byte) bool {
	return len(head) >= 2 && head[0] == 0xff && head[1]&0xe0 == 0xe0
}

// isText: UTF-8 without NUL bytes (a rune cut by the end of head is fine).
func isText(head []byte) bool {
	if bytes.IndexByte(head, 0) >= 0 {
		return false
	}
	for i := 0; i < 3 && len(head) > 0 && !utf8.Valid(head); i++ {
		head = head[:len(head)-1]
	}
	return utf8.Valid(head)
}

// plainText is text that a browser would not take for HTML.
func plainText(head []byte) bool {
	return isText(head) && !strings.HasPrefix(http.DetectContentType(head), "text/html")
}

func svgText(head []byte) bool {
	return isText(head) && bytes.Contains(bytes.ToLower(head), []byte("<svg"))
}
