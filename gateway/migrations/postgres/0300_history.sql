-- A person's history (issue 14). `users.timezone` is an IANA name: an entry's day is its date
-- in it. `self_mood` is the person's own rating, 1 (awful) to 5 (great). `import_key` marks an
-- imported entry (a hash of its date, mood and text), so importing a file twice creates
-- nothing new; NULLs never collide, so entries written through the API are unaffected.
ALTER TABLE users ADD COLUMN timezone TEXT NOT NULL DEFAULT 'UTC';
ALTER TABLE journal_entries ADD COLUMN self_mood BIGINT;
ALTER TABLE journal_entries ADD COLUMN import_key TEXT;
CREATE UNIQUE INDEX journal_entries_import_key ON journal_entries (user_id, import_key);
