-- Full-text search over entry texts: an English tsvector (stems, no stop words) kept by the
-- database itself as a generated column, so inserts, edits and deletes need nothing more, and a
-- GIN index over it.
ALTER TABLE journal_entries
    ADD COLUMN search tsvector GENERATED ALWAYS AS (to_tsvector('english', text)) STORED;
CREATE INDEX journal_entries_search ON journal_entries USING GIN (search);
