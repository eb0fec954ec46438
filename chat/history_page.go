package chat

import "context"

// HistoryPage answers a history query rendered. The access rule is applied
// first, on every call, whatever is kept: a reader who lost the room gets its
// refusal, never a page (nor the "not modified" the door would derive from
// one). The newest page of a room (the default query, which the web app polls)
// is kept rendered when it is the same for every reader who may see it.
func (s *Service) HistoryPage(ctx context.Context, a Actor, roomID int64, q HistoryQuery) (HistoryPage, error) {
	q, err := q.normalize()
	if err != nil {
		return HistoryPage{}, err
	}
	acc, err := s.roomAccess(ctx, a, roomID)
	if err != nil {
		return HistoryPage{}, err
	}
	newest := q == HistoryQuery{Limit: defaultHistoryLimit}
	if newest {
		if p, ok := s.history.get(roomID, a.ID); ok {
			return p, nil
		}
	}
	ticket := s.history.ticket()
	msgs, complete, err := s.historyViews(ctx, acc, roomID, q)
	if err != nil {
		return HistoryPage{}, err
	}
	// Reactions show "me" for the caller: a page where the caller reacted is
	// theirs alone and is rendered for each read; any other is what every
	// reader without a reaction on it gets, and is kept with the list of those
	// who have one (they are never served it).
	reacted, err := s.fillReactions(ctx, a.ID, msgs)
	if err != nil {
		return HistoryPage{}, err
	}
	p := newHistoryPage(AppendMessagesJSON(nil, msgs))
	if newest && complete && !reacted && !s.signsLinks(acc.IsPrivate, msgs) {
		reactors, err := s.pageReactors(ctx, msgs)
		if err != nil {
			return p, nil // the page stands; it is only not kept
		}
		s.history.put(roomID, p, reactors, ticket)
	}
	return p, nil
}

// signsLinks reports whether a page shows signed file links: they expire, so
// such a page is rendered for each read (its entity tag still holds while the
// links do: they are the same for a while, see fileLinks.expiry).
func (s *Service) signsLinks(private bool, msgs []Message) bool {
	if !private || s.links.signer == nil {
		return false
	}
	for i := range msgs {
		if msgs[i].FileURL != nil || msgs[i].File != nil {
			return true
		}
	}
	return false
}

// historyUnchanged are the events that alter no stored message nor anything a
// history page shows. Every other event drops the pages it may touch: a new
// kind of change invalidates by construction.
func historyUnchanged(ev Event) bool {
	switch ev.Type {
	case EventTyping, EventUserJoined, EventUserLeft, EventRead: // read state is never in a page (reads.go)
		return true
	case EventMention, EventConversationStarted: // to a user; the message's own event changed the page
		return true
	case EventSessionsEnded:
		// A new password shows nowhere (a deleted account's messages do).
		return ev.Access != nil && ev.Access.Reason == ReasonPasswordChanged
	}
	return false
}

// observeHistory keeps this instance's rendered pages in step with the changes
// of every instance (they all arrive through the Hub), before any door sees them.
func (s *Service) observeHistory(ev Event) {
	if historyUnchanged(ev) {
		return
	}
	if ev.RoomID == 0 {
		// Not about one room (an account changed or is gone): its messages may
		// be in any of them.
		s.history.forgetAll()
		return
	}
	s.history.forget(ev.RoomID)
}

// HistoryCacheStats reports how many rendered pages are kept and their bytes.
func (s *Service) HistoryCacheStats() (rooms int, bytes int64) { return s.history.stats() }
