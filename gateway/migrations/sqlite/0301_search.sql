-- Full-text search over entry texts: an FTS5 index on journal_entries (external content, so
-- the text is stored once), Porter stems over Unicode words without diacritics. Triggers keep
-- it in step with inserts, edits and deletes; secure-delete removes a deleted entry's words
-- from the index at once rather than at the next merge.
CREATE VIRTUAL TABLE journal_search USING fts5(
    text, content = 'journal_entries', content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);
INSERT INTO journal_search (journal_search, rank) VALUES ('secure-delete', 1);
INSERT INTO journal_search (rowid, text) SELECT id, text FROM journal_entries;
CREATE TRIGGER journal_search_insert AFTER INSERT ON journal_entries BEGIN
    INSERT INTO journal_search (rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER journal_search_delete AFTER DELETE ON journal_entries BEGIN
    INSERT INTO journal_search (journal_search, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER journal_search_update AFTER UPDATE OF text ON journal_entries BEGIN
    INSERT INTO journal_search (journal_search, rowid, text) VALUES ('delete', old.id, old.text);
    INSERT INTO journal_search (rowid, text) VALUES (new.id, new.text);
END;
