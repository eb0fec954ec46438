package chat

import (
	"context"
	"time"

	"github.com/izpochat/server/models"
	"github.com/izpochat/server/storage"
)

// The read rule for files: a file attached to a private room is shown only
// through a signed link that expires, rendered into each view of it for whoever
// the read rule just let see that view (history, live events on every door,
// upload answers, file lists). Any other file — a public room's, or one not
// attached yet, which only its uploader has seen — keeps its stored URL, as every
// generation served it. Stored URLs are never rewritten: the link is made when
// the view is.

// fileLinks signs the links of files that are not open to everyone.
type fileLinks struct {
	signer storage.Signer // nil: files are shown at their stored URLs
	ttl    time.Duration
}

// SetFileSigner turns on signed links to files that are not open to everyone,
// valid for about ttl. Call before serving (NewUploads calls it for a store that
// can sign).
func (s *Service) SetFileSigner(signer storage.Signer, ttl time.Duration) {
	if ttl <= 0 {
		ttl = 7 * 24 * time.Hour
	}
	s.links = fileLinks{signer: signer, ttl: ttl}
}

// expiry is now+ttl rounded up to a step (an hour at most), so the link of a
// file stays the same for a while and browsers can cache what it shows.
func (l fileLinks) expiry(now time.Time) time.Time {
	step := min(l.ttl/8, time.Hour)
	if step < time.Second {
		step = time.Second
	}
	return now.Add(l.ttl).Add(step - 1).Truncate(step)
}

// sign maps stored URLs to signed links. A URL that names no object of ours, or
// that the store failed to sign (logged), is left out: the view keeps the stored
// URL, which the local route does not serve for such a file.
func (s *Service) signLinks(ctx context.Context, urls []string) map[string]string {
	if s.links.signer == nil || len(urls) == 0 {
		return nil
	}
	keys := make([]string, 0, len(urls))
	keyOf := make(map[string]string, len(urls))
	for _, u := range urls {
		if k, ok := storage.KeyFromURL(u); ok {
			keyOf[u] = k
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	signed, err := s.links.signer.SignURLs(ctx, keys, s.links.expiry(time.Now()))
	if err != nil {
		s.log.WarnContext(ctx, "sign file links", "files", len(keys), "err", err)
	}
	out := make(map[string]string, len(signed))
	for u, k := range keyOf {
		if l, ok := signed[k]; ok {
			out[u] = l
		}
	}
	return out
}

// signLink is signLinks of one URL (the URL itself when it cannot be signed).
func (s *Service) signLink(ctx context.Context, url string) string {
	if l, ok := s.signLinks(ctx, []string{url})[url]; ok {
		return l
	}
	return url
}

// linkMessages signs the file links of messages of a private room (their
// file{} objects' too).
func (s *Service) linkMessages(ctx context.Context, msgs []Message) {
	if s.links.signer == nil {
		return
	}
	var urls []string
	for i := range msgs {
		if msgs[i].FileURL != nil {
			urls = append(urls, *msgs[i].FileURL)
		}
		if msgs[i].File != nil {
			urls = append(urls, msgs[i].File.FileURL)
		}
	}
	links := s.signLinks(ctx, urls)
	for i := range msgs {
		if m := &msgs[i]; m.FileURL != nil {
			if l, ok := links[*m.FileURL]; ok {
				m.FileURL = &l
			}
		}
		if f := msgs[i].File; f != nil {
			if l, ok := links[f.FileURL]; ok {
				f.FileURL, f.PublicURL = l, l
			}
		}
	}
}

// linkFile sets a file view's links for a file in a room that is (or is not)
// private; roomID nil is a file attached to no room.
func (s *Service) linkFile(ctx context.Context, f *File, private bool) {
	if f.RoomID == nil || !private {
		return
	}
	f.FileURL = s.signLink(ctx, f.FileURL)
	f.PublicURL = f.FileURL
}

// linkedFileViews are file views with their links, whatever rooms they are in.
func (s *Service) linkedFileViews(ctx context.Context, rows []models.FileUpload) ([]File, error) {
	out := fileViews(rows)
	if s.links.signer == nil {
		return out, nil
	}
	var ids []int64
	for i := range rows {
		if rows[i].RoomID != nil {
			ids = append(ids, *rows[i].RoomID)
		}
	}
	private, err := s.store.RoomsPrivate(ctx, ids)
	if err != nil {
		return nil, internal("rooms of files", err)
	}
	// A room that is gone counts as private.
	needsLink := func(f *File) bool {
		if f.RoomID == nil {
			return false
		}
		p, ok := private[*f.RoomID]
		return p || !ok
	}
	var urls []string
	for i := range out {
		if needsLink(&out[i]) {
			urls = append(urls, out[i].FileURL)
		}
	}
	links := s.signLinks(ctx, urls)
	for i := range out {
		if f := &out[i]; needsLink(f) {
			if l, ok := links[f.FileURL]; ok {
				f.FileURL, f.PublicURL = l, l
			}
		}
	}
	return out, nil
}

// FileOpenToAll reports whether the object key may be served without a signed
// link: it is not a file of a private room, nor of a deleted room (the local
// file route asks).
func (s *Service) FileOpenToAll(ctx context.Context, key string) (bool, error) {
	if !storage.ValidKey(key) {
		return false, nil
	}
	if gone, err := s.FileDeleted(ctx, key); err != nil || gone {
		return false, err
	}
	private, err := s.store.FileInPrivateRoom(ctx, key)
	if err != nil {
		return false, internal("file access", err)
	}
	return !private, nil
}

// FileDeleted reports whether the object key is a file of a deleted room whose
// object could not be removed yet: it is served to nobody, not even through a
// signed link made before the room was deleted (the local file route asks).
func (s *Service) FileDeleted(ctx context.Context, key string) (bool, error) {
	gone, err := s.store.FileDeletionPending(ctx, key)
	if err != nil {
		return false, internal("file access", err)
	}
	return gone, nil
}
