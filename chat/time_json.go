package chat

import (
	"fmt"
	"time"
)

// UnmarshalJSON reads what MarshalJSON writes (any RFC 3339 time), so events
// carrying messages survive the trip between instances through Redis.
func (t *Time) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var parsed time.Time
	if err := parsed.UnmarshalJSON(b); err != nil {
		return fmt.Errorf("chat.Time: %w", err)
	}
	*t = Time(parsed.UTC())
	return nil
}
