-- +goose Up
-- Issue 23.4: reactions, one row per (message, user, emoji). A table of its own,
-- so the Flask tables stay unaltered. The unique key also serves loading a
-- history page's reactions (message_id IN (...) reads its leading column); the
-- user index serves removing a user's rows. Deleting a message or a room also
-- deletes its rows by hand (models/store_reactions.go): SQLite runs without
-- foreign-key enforcement, the cascades are PostgreSQL's safety net.
CREATE TABLE IF NOT EXISTS message_reactions (
	id bigserial PRIMARY KEY,
	message_id bigint NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
	user_id bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	emoji varchar(64) NOT NULL,
	created_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS message_reactions_message_user_emoji_key
	ON message_reactions (message_id, user_id, emoji);
CREATE INDEX IF NOT EXISTS message_reactions_user_idx ON message_reactions (user_id);

-- +goose Down
