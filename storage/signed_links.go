package storage

import (
	"fmt"
	"sync"
	"time"
)

// maxLinkTTL is the longest a GCS (V4) or S3 signed URL may live.
const maxLinkTTL = 7 * 24 * time.Hour

// linkCache remembers the signed links a store made, by key, until the expiry
// asked for changes: the same page rendered again gets the same links (browsers
// keep what they showed) and costs no signing. Safe for concurrent use.
type linkCache struct {
	mu    sync.Mutex
	links map[string]signedLink
}

// sign returns a link for each valid key, made by signOne when not remembered.
// The link lives until expires, at most maxLinkTTL. A key signOne fails for is
// left out; the first such error is returned with the links that were made.
func (c *linkCache) sign(keys []string, expires time.Time, signOne func(key string, ttl time.Duration) (string, error)) (map[string]string, error) {
	out := make(map[string]string, len(keys))
	var missing []string
	c.mu.Lock()
	for _, k := range keys {
		if l, ok := c.links[k]; ok && l.expires.Equal(expires) {
			out[k] = l.url
		} else if ValidKey(k) {
			missing = append(missing, k)
		}
	}
	c.mu.Unlock()
	ttl := min(time.Until(expires), maxLinkTTL)
	if ttl < time.Second {
		ttl = time.Second
	}
	var errs []error
	made := make(map[string]string, len(missing))
	for _, k := range missing {
		u, err := signOne(k, ttl)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out[k], made[k] = u, u
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.links)+len(made) > maxSignedCache {
		c.links = nil
	}
	if c.links == nil {
		c.links = make(map[string]signedLink)
	}
	for k, u := range made {
		c.links[k] = signedLink{url: u, expires: expires}
	}
	if len(errs) > 0 {
		return out, fmt.Errorf("%d of %d links not signed: %w", len(errs), len(missing), errs[0])
	}
	return out, nil
}
