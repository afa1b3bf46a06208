-- Accounts. `id` is 32 lowercase hex characters (the original's uuid4().hex); `email` is stored
-- lower-cased, so the unique index makes addresses case-insensitive identities.
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    first_name    TEXT NOT NULL,
    last_name     TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,
    avatar        TEXT NOT NULL DEFAULT '',
    bio           TEXT NOT NULL DEFAULT '',
    preferences   TEXT NOT NULL DEFAULT '{}',
    created_at    TEXT NOT NULL,
    last_login    TEXT
);
