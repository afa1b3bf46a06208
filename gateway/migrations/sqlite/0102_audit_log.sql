-- Security events: sign-ins, failed sign-ins, refresh-token reuse, exports, deletions.
-- Never a secret, a password, a token or journal text: `event` is a fixed name, `user_id` the
-- account concerned when known, `detail` a short fixed-vocabulary note (e.g. the provider).
-- An account's rows are deleted with the account; the deletion itself is logged without a user id.
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         TEXT NOT NULL,
    event      TEXT NOT NULL,
    user_id    TEXT REFERENCES users (id) ON DELETE CASCADE,
    detail     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_user ON audit_log (user_id);
CREATE INDEX audit_log_at ON audit_log (at);
