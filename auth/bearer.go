package auth

import "strings"

// BearerToken returns the token from an Authorization header value: a leading "Bearer "
// (any case) and surrounding spaces are removed; "Bearer" alone gives "". A value without the prefix is returned trimmed.
func BearerToken(header string) string {
	header = strings.TrimSpace(header)
	const prefix = "bearer "
	if strings.EqualFold(header, strings.TrimSpace(prefix)) {
		return "" // the scheme with no token
	}
	if len(header) >= len(prefix) && strings.EqualFold(header[:len(prefix)], prefix) {
		header = strings.TrimSpace(header[len(prefix):])
	}
	return header
}
