package chat

import (
	"html"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// The excerpt of a message found: a window of its text around the first match,
// HTML-escaped, matches in <mark>. Computed here, not by the databases
// (ts_headline, FTS5 highlight), so both give the same excerpt and the escaping
// is ours.
const (
	excerptRunes  = 160 // the window's length
	excerptBefore = 40  // how much of it comes before the first match
	markOpen      = "<mark>"
	markClose     = "</mark>"
)

// foldWord is a word as the indexes compare it: lower case, without accents.
func foldWord(w string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(strings.ToLower(w)) {
		if !unicode.Is(unicode.Mn, r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// highlight is content's excerpt with the words equal to one of terms (once
// folded) marked. Content with no such word (a database's parser split it
// otherwise) gives its beginning, unmarked.
func highlight(content string, terms []string) string {
	want := make(map[string]bool, len(terms))
	for _, t := range terms {
		want[foldWord(t)] = true
	}
	var matches [][2]int
	for _, span := range wordSpans(content) {
		if want[foldWord(content[span[0]:span[1]])] {
			matches = append(matches, span)
		}
	}
	from := 0
	if len(matches) > 0 {
		from = backRunes(content, matches[0][0], excerptBefore)
	}
	to := forwardRunes(content, from, excerptRunes)
	var b strings.Builder
	if from > 0 {
		b.WriteString("…")
	}
	at := from
	for _, m := range matches {
		if m[0] < from {
			continue
		}
		if m[1] > to {
			break
		}
		b.WriteString(html.EscapeString(content[at:m[0]]))
		b.WriteString(markOpen)
		b.WriteString(html.EscapeString(content[m[0]:m[1]]))
		b.WriteString(markClose)
		at = m[1]
	}
	b.WriteString(html.EscapeString(content[at:to]))
	if to < len(content) {
		b.WriteString("…")
	}
	return b.String()
}

// backRunes is the byte offset n runes before i in s, moved forward to the
// start of a word when the window would cut one.
func backRunes(s string, i, n int) int {
	start := i
	for ; n > 0 && start > 0; n-- {
		_, size := utf8.DecodeLastRuneInString(s[:start])
		start -= size
	}
	if start == 0 {
		return 0
	}
	if j := strings.IndexAny(s[start:i], " \n\t"); j >= 0 {
		return start + j + 1
	}
	return start
}

// forwardRunes is the byte offset n runes after i in s (or its end).
func forwardRunes(s string, i, n int) int {
	for ; n > 0 && i < len(s); n-- {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return i
}
