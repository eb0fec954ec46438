-- +goose Up
-- Issue 23.6: who a message mentions (@username), one row per (message, user),
-- only users who could read the room when it was written or last edited. A
-- table of its own, so the Flask tables stay unaltered. The primary key serves
-- loading a page's mentions (message_id IN (...)); the user index serves
-- removing a user's rows. Deleting a message (blanked) or a room deletes its
-- rows by hand (models/store_mentions.go): SQLite runs without foreign-key
-- enforcement, the cascades are PostgreSQL's safety net.
CREATE TABLE IF NOT EXISTS message_mentions (
	message_id bigint NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
	user_id bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	PRIMARY KEY (message_id, user_id)
);
CREATE INDEX IF NOT EXISTS message_mentions_user_idx ON message_mentions (user_id);

-- +goose Down
