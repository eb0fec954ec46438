-- +goose Up
-- Issue 23.7: full-text search of messages (see the PostgreSQL migration of the
-- same number). An FTS5 table over messages' content (external content: the
-- text is stored once, in messages), tokenizer unicode61 remove_diacritics 2:
-- "cancion" finds "canción", case folded, no stemming (rooms mix Spanish and
-- English).
--
-- Triggers keep it in step with every write, ours and a Flask app's on the same
-- file: a post indexes, an edit replaces, a deletion blanks the content (so its
-- words leave the index) and a removed row (a room deleted) is forgotten.
-- Rowid is the message id, so results come newest first from the index itself.
CREATE VIRTUAL TABLE IF NOT EXISTS messages_fts USING fts5(
	content, content = 'messages', content_rowid = 'id',
	tokenize = 'unicode61 remove_diacritics 2');

-- +goose StatementBegin
CREATE TRIGGER IF NOT EXISTS messages_fts_insert AFTER INSERT ON messages BEGIN
	INSERT INTO messages_fts (rowid, content) VALUES (new.id, new.content);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER IF NOT EXISTS messages_fts_update AFTER UPDATE OF content ON messages BEGIN
	INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.id, old.content);
	INSERT INTO messages_fts (rowid, content) VALUES (new.id, new.content);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER IF NOT EXISTS messages_fts_delete AFTER DELETE ON messages BEGIN
	INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.id, old.content);
END;
-- +goose StatementEnd

-- Backfill: index every message already stored (a takeover's whole history, in
-- this migration's transaction; bench/search measures it on 1M messages).
INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');

-- +goose Down
