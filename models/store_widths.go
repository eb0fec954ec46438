package models

import (
	"context"
	"fmt"
	"sync"
)

// roomNameWidth caches the width rooms.name really has. The Flask generations
// declared it 100 (F1, F2) or 150 (F3), and migrations never narrow nor widen a
// column, so it is read from the database once.
type roomNameWidth struct {
	mu    sync.Mutex
	known bool
	width int
}

// RoomNameWidth is the declared width of rooms.name in characters, 0 when the
// column has none (TEXT, as this server creates it on SQLite).
func (s *Store) RoomNameWidth(ctx context.Context) (int, error) {
	s.nameWidth.mu.Lock()
	defer s.nameWidth.mu.Unlock()
	if s.nameWidth.known {
		return s.nameWidth.width, nil
	}
	sqlDB, err := s.db.DB()
	if err != nil {
		return 0, fmt.Errorf("room name width: %w", err)
	}
	w, err := columnWidth(ctx, sqlDB, s.Dialect(), "rooms", "name")
	if err != nil {
		return 0, err
	}
	s.nameWidth.known, s.nameWidth.width = true, w
	return w, nil
}
