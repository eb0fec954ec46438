-- +goose Up
-- Issue 23.1-23.3: member roles, edited and deleted messages, replies. Additive:
-- every column is nullable or defaulted, so rows a Flask app writes stay valid
-- (a Flask-written member row is a 'member'; a room's owner is rooms.created_by).
-- No index: reply_to_id is only read by primary key, deleted_at filters rows the
-- (room_id, id) index already finds.
ALTER TABLE room_members ADD COLUMN IF NOT EXISTS role varchar(16) NOT NULL DEFAULT 'member';
ALTER TABLE messages ADD COLUMN IF NOT EXISTS edited_at timestamptz;
ALTER TABLE messages ADD COLUMN IF NOT EXISTS deleted_at timestamptz;
ALTER TABLE messages ADD COLUMN IF NOT EXISTS reply_to_id bigint;

-- +goose Down
