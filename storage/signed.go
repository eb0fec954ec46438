package storage

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"path"
	"strconv"
	"time"
)

// Signer hands out URLs that read one object until a given time, for files that
// are not open to everyone. Which files those are is the domain's decision.
type Signer interface {
	// SignURLs returns a URL for each key (by key) that reads it until about
	// expires. A key it cannot sign is left out.
	SignURLs(ctx context.Context, keys []string, expires time.Time) (map[string]string, error)
}

// KeyFromURL returns the object key a stored file URL points at: its last path
// element, when that has the generated shape. Stored URLs come in every form the
// server generations wrote ("/uploads/<key>", "https://host/uploads/<key>",
// Supabase's ".../object/public/<bucket>/<key>").
func KeyFromURL(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", false
	}
	key := path.Base(u.Path)
	return key, ValidKey(key)
}

// Signed-link query parameters of the local file route.
const (
	expParam = "exp"
	sigParam = "sig"
)

// SetSigningSecret turns on signed links (SignURLs, Verify), keyed by a key
// derived from secret (the JWT secret: nothing new to configure, and a leaked
// link key is not a token key). Call before serving.
func (l *Local) SetSigningSecret(secret []byte) {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("izpochat file links v1"))
	l.signingKey = mac.Sum(nil)
}

// SignURLs implements Signer: "<baseURL>/<key>?exp=<unix>&sig=<HMAC>".
func (l *Local) SignURLs(_ context.Context, keys []string, expires time.Time) (map[string]string, error) {
	out := make(map[string]string, len(keys))
	if l.signingKey == nil {
		return out, nil
	}
	exp := strconv.FormatInt(expires.Unix(), 10)
	for _, k := range keys {
		if ValidKey(k) {
			out[k] = l.URL(k) + "?" + expParam + "=" + exp + "&" + sigParam + "=" + l.sign(k, exp)
		}
	}
	return out, nil
}

func (l *Local) sign(key, exp string) string {
	mac := hmac.New(sha256.New, l.signingKey)
	mac.Write([]byte(key))
	mac.Write([]byte{0})
	mac.Write([]byte(exp))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// SignedRequest reports whether q carries a signature at all (exp or sig).
func SignedRequest(q url.Values) bool { return q.Has(expParam) || q.Has(sigParam) }

// Verify reports whether q holds an unexpired signature of key made by SignURLs.
func (l *Local) Verify(key string, q url.Values, now time.Time) bool {
	if l.signingKey == nil || !ValidKey(key) {
		return false
	}
	exp, sig := q.Get(expParam), q.Get(sigParam)
	unix, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || now.Unix() > unix {
		return false
	}
	return hmac.Equal([]byte(sig), []byte(l.sign(key, exp)))
}
