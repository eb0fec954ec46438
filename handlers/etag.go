package handlers

import "strings"

// noneMatch reports whether an If-None-Match header (each of its values a list
// of entity tags, or "*") names the current tag, so the answer is 304 Not
// Modified. The comparison is weak, as RFC 9110 13.1.2 asks for If-None-Match:
// W/"x" matches "x". A malformed list matches nothing (a full answer is always
// safe).
func noneMatch(values []string, etag string) bool {
	want := strings.TrimPrefix(etag, "W/")
	for _, v := range values {
		for v != "" {
			v = strings.TrimLeft(v, " \t,")
			if v == "" {
				break
			}
			if v[0] == '*' {
				return true
			}
			v = strings.TrimPrefix(v, "W/")
			if v == "" || v[0] != '"' {
				return false
			}
			end := strings.IndexByte(v[1:], '"')
			if end < 0 {
				return false
			}
			if v[:end+2] == want {
				return true
			}
			v = v[end+2:]
		}
	}
	return false
}
