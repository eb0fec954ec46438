package models

import (
	"context"
	"database/sql"
	"fmt"
)

// backfillConversations turns the Flask generations' one-to-one conversations —
// private rooms with exactly two members, which is how F2 and F3 found them —
// into this server's conversations by giving them their dm_key, so they are
// listed by GET /api/conversations and reused by POST /api/conversations. When
// an old race left two such rooms for one pair, the oldest becomes the
// conversation; the other stays a private room of the two, with its history.
func backfillConversations(ctx context.Context, tx *sql.Tx, dialect string) error {
	rows, err := tx.QueryContext(ctx, `SELECT m.room_id, MIN(m.user_id), MAX(m.user_id)
		FROM room_members m JOIN rooms r ON r.id = m.room_id
		WHERE r.dm_key IS NULL AND COALESCE(r.is_private, false) = true
		GROUP BY m.room_id HAVING COUNT(*) = 2 ORDER BY m.room_id`)
	if err != nil {
		return fmt.Errorf("find old conversations: %w", err)
	}
	type pair struct{ room, a, b int64 }
	var found []pair
	for rows.Next() {
		var p pair
		if err := rows.Scan(&p.room, &p.a, &p.b); err != nil {
			rows.Close()
			return fmt.Errorf("find old conversations: %w", err)
		}
		found = append(found, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("find old conversations: %w", err)
	}
	for _, p := range found {
		key := fmt.Sprintf("%d:%d", p.a, p.b)
		q := `UPDATE rooms SET dm_key = $1 WHERE id = $2 AND NOT EXISTS (SELECT 1 FROM rooms o WHERE o.dm_key = $1)`
		args := []any{key, p.room}
		if dialect == "sqlite" {
			q = `UPDATE rooms SET dm_key = ? WHERE id = ? AND NOT EXISTS (SELECT 1 FROM rooms o WHERE o.dm_key = ?)`
			args = append(args, key)
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("mark room %d as the conversation %s: %w", p.room, key, err)
		}
	}
	return nil
}
