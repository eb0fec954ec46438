package storage

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// maxSignedCache bounds the signed links a Supabase store remembers.
const maxSignedCache = 10_000

type signedLink struct {
	url     string
	expires time.Time
}

// SignURLs implements Signer with the Storage API's signed URLs (what storage-go's
// CreateSignedUrl asks for, in its bulk form: one request for a history page's
// files, POST /object/sign/<bucket> {expiresIn, paths}), through the library's
// Do with our deadline (CreateSignedUrl takes no context). A link is remembered
// until the expiry changes, so the same page rendered again asks for nothing.
func (s *Supabase) SignURLs(ctx context.Context, keys []string, expires time.Time) (map[string]string, error) {
	out := make(map[string]string, len(keys))
	var missing []string
	s.signedMu.Lock()
	for _, k := range keys {
		if l, ok := s.signed[k]; ok && l.expires.Equal(expires) {
			out[k] = l.url
		} else if ValidKey(k) {
			missing = append(missing, k)
		}
	}
	s.signedMu.Unlock()
	if len(missing) == 0 {
		return out, nil
	}
	expiresIn := int(time.Until(expires).Seconds())
	if expiresIn < 1 {
		expiresIn = 1
	}
	ctx, cancel := context.WithTimeoutCause(ctx, s.timeout, errDeadline)
	defer cancel()
	c := s.client("")
	req, err := c.NewRequest(http.MethodPost, s.api+"/object/sign/"+s.bucket, map[string]any{"expiresIn": expiresIn, "paths": missing})
	if err != nil {
		return out, fmt.Errorf("supabase sign: %w", err)
	}
	var answer []struct {
		Path      string  `json:"path"`
		SignedURL string  `json:"signedURL"`
		Error     *string `json:"error"`
	}
	if err := s.doInto(ctx, c, req.WithContext(ctx), &answer); err != nil {
		return out, fmt.Errorf("supabase sign %d objects: %w", len(missing), err)
	}
	s.signedMu.Lock()
	defer s.signedMu.Unlock()
	if len(s.signed)+len(answer) > maxSignedCache {
		s.signed = nil
	}
	if s.signed == nil {
		s.signed = make(map[string]signedLink)
	}
	for _, a := range answer {
		if a.Error != nil || a.SignedURL == "" || !ValidKey(a.Path) {
			continue
		}
		u := s.api + a.SignedURL // the answer is relative to /storage/v1
		out[a.Path] = u
		s.signed[a.Path] = signedLink{url: u, expires: expires}
	}
	return out, nil
}
