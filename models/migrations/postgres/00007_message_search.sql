-- +goose Up
-- Issue 23.7: full-text search of messages. An expression GIN index, not a
-- column: nothing is rewritten, every write (ours, and a Flask app's on the
-- same database) keeps it in step by itself (posts, edits; a deleted message's
-- content is blanked, so its words leave the index in the same UPDATE), and
-- the message writer's INSERT is unchanged.
--
-- Configuration 'simple' (lower-cased words, no stemming, no stop words): the
-- rooms mix Spanish and English, and a 'spanish' or 'english' stemmer mangles
-- the other language's words ("does" -> "doe", "hola" kept, "casas" -> "cas")
-- and drops its stop words; 'simple' finds what was typed in either. Accents
-- are folded by translate() (built in and IMMUTABLE), so "cancion" finds
-- "canción" as SQLite's FTS5 remove_diacritics does: the unaccent extension
-- needs CREATE EXTENSION rights Supabase's pooler role may not have. Only
-- Spanish's (á é í ó ú ü ñ, after lower()): translate()'s cost grows with its
-- list, and every insert pays it (measured on 200k rows of 80 characters:
-- 3 µs a row for these 7, 8.5 µs for 24 Western European ones); English has
-- none, and other accents are matched as typed.
--
-- The query must spell this expression exactly (models/store_search.go,
-- pgSearchDocument) or the planner cannot use the index.
--
-- Takeover of a big database: CREATE INDEX reads every message once and blocks
-- writes to messages (not reads) while it builds; bench/search measures the
-- build on 1M messages (see its README entry).
CREATE INDEX IF NOT EXISTS messages_search_idx ON messages USING gin
	(to_tsvector('simple'::regconfig, translate(lower(content), 'áéíóúüñ', 'aeiouun')));

-- +goose Down
