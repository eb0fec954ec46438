-- +goose Up
-- Issue 23.5: read state (see the PostgreSQL migration of the same number).
CREATE TABLE IF NOT EXISTS room_reads (
	room_id integer NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
	user_id integer NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	last_read_id integer NOT NULL,
	updated_at datetime NOT NULL,
	PRIMARY KEY (room_id, user_id)
);
CREATE INDEX IF NOT EXISTS room_reads_user_idx ON room_reads (user_id);
CREATE INDEX IF NOT EXISTS messages_room_live_idx ON messages (room_id, id, user_id) WHERE deleted_at IS NULL;

-- +goose Down
