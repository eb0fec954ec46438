-- +goose Up
-- Issue 23.1-23.3: member roles, edited and deleted messages, replies (see the
-- PostgreSQL migration of the same number). SQLite has no ADD COLUMN IF NOT
-- EXISTS; goose runs this once.
ALTER TABLE room_members ADD COLUMN role varchar(16) NOT NULL DEFAULT 'member';
ALTER TABLE messages ADD COLUMN edited_at datetime;
ALTER TABLE messages ADD COLUMN deleted_at datetime;
ALTER TABLE messages ADD COLUMN reply_to_id integer;

-- +goose Down
