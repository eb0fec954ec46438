-- +goose Up
-- Issue 23.5: read state. One row per reader and room that has marked
-- something read: the newest message id it has read there, which only moves
-- forward. A table of its own, so the Flask tables stay unaltered; it goes with
-- its room or its user (the store also deletes a room's rows by hand, as it does
-- for every table of a room, see DeleteRoom).
CREATE TABLE IF NOT EXISTS room_reads (
	room_id bigint NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
	user_id bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	last_read_id bigint NOT NULL,
	updated_at timestamptz NOT NULL,
	PRIMARY KEY (room_id, user_id)
);
CREATE INDEX IF NOT EXISTS room_reads_user_idx ON room_reads (user_id);
-- Unread counts (a capped count of others' live messages after the marker, for
-- every room a user lists) read only this index: room and id find the first
-- unread message, user_id is checked in the index, and deleted rows are not in
-- it. Built once over the existing messages when the migration runs.
CREATE INDEX IF NOT EXISTS messages_room_live_idx ON messages (room_id, id, user_id) WHERE deleted_at IS NULL;

-- +goose Down
