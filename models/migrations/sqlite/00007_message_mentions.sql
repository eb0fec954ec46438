-- +goose Up
-- Issue 23.6: mentions (see the PostgreSQL migration of the same number).
CREATE TABLE IF NOT EXISTS message_mentions (
	message_id integer NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
	user_id integer NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	PRIMARY KEY (message_id, user_id)
);
CREATE INDEX IF NOT EXISTS message_mentions_user_idx ON message_mentions (user_id);

-- +goose Down
