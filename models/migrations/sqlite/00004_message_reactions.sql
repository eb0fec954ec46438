-- +goose Up
-- Issue 23.4: reactions (see the PostgreSQL migration of the same number).
CREATE TABLE IF NOT EXISTS message_reactions (
	id integer PRIMARY KEY AUTOINCREMENT,
	message_id integer NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
	user_id integer NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	emoji varchar(64) NOT NULL,
	created_at datetime NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS message_reactions_message_user_emoji_key
	ON message_reactions (message_id, user_id, emoji);
CREATE INDEX IF NOT EXISTS message_reactions_user_idx ON message_reactions (user_id);

-- +goose Down
