-- How many times the re-scorer tried a pending entry and inference failed on it alone (the
-- service itself being down does not count). At the limit, or at once when inference refuses
-- the text, the entry's status becomes 'failed': shown to its owner, who can edit it (an edit
-- resets this count and makes it pending again), and never retried forever.
ALTER TABLE journal_entries ADD COLUMN score_attempts INTEGER NOT NULL DEFAULT 0;
