-- +goose Up
-- Issue 23.7: full-text search of messages. A stored generated column holds
-- each message's words, and a GIN index finds them. Generated, so every write
-- keeps it in step by itself (ours, and a Flask app's on the same database):
-- a post, an edit (the words of the new text replace the old ones), a
-- deletion (the content is blanked, so its words go in the same UPDATE); the
-- message writer's INSERT is unchanged.
--
-- A column, not an expression index: with the words stored, checking a row is
-- cheap, so the planner's choice between walking ids newest first (a common
-- word) and the GIN index (a rare one) costs little either way. With only an
-- expression index a word in 1.4% of the messages took 305 ms over 1M
-- (to_tsvector recomputed on every row walked; bench/search), 3 ms as a column.
--
-- Configuration 'simple' (lower-cased words, no stemming, no stop words): the
-- rooms mix Spanish and English, and a 'spanish' or 'english' stemmer mangles
-- the other language's words and drops its stop words; 'simple' finds what was
-- typed in either. Accents are folded by translate() (built in and IMMUTABLE),
-- so "cancion" finds "canción" as SQLite's FTS5 remove_diacritics does: the
-- unaccent extension needs CREATE EXTENSION rights Supabase's role may not
-- have. Only Spanish's (á é í ó ú ü ñ, after lower()): translate()'s cost grows
-- with its list and every insert pays it (on 200k rows of 80 characters: 3 µs
-- a row for these 7, 8.5 µs for 24 Western European ones); English has none,
-- and other accents are matched as typed. models/store_search.go folds the
-- query the same way.
--
-- Takeover of a big database: adding the column rewrites the messages table
-- (ACCESS EXCLUSIVE: reads and writes of messages wait), then the index is
-- built; bench/search measures both on 1M messages (README, "Message search").
ALTER TABLE messages ADD COLUMN IF NOT EXISTS search_document tsvector
	GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, translate(lower(content), 'áéíóúüñ', 'aeiouun'))) STORED;
CREATE INDEX IF NOT EXISTS messages_search_idx ON messages USING gin (search_document);

-- +goose Down
