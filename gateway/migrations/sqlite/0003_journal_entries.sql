-- Journal entries. `status` is 'scored' or 'pending' (saved while inference was unreachable;
-- the background scorer fills the score columns later). The score columns stay NULL until
-- then: an entry never carries made-up scores. `roberta` and `lstm` hold each model's result
-- as JSON (NULL when that model is not loaded); `sentiment`, `confidence`, `scores` and
-- `mood_score` are the primary result's (LSTM when present, else RoBERTa).
CREATE TABLE journal_entries (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    text           TEXT NOT NULL,
    tags           TEXT NOT NULL DEFAULT '[]',
    status         TEXT NOT NULL,
    sentiment      TEXT,
    confidence     REAL,
    mood_score     REAL,
    scores         TEXT,
    roberta        TEXT,
    lstm           TEXT,
    date           TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX journal_entries_user_date ON journal_entries (user_id, date);
CREATE INDEX journal_entries_pending ON journal_entries (status) WHERE status = 'pending';
