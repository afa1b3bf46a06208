-- One scored submission of a self-assessment. `answers` is the validated answer list as JSON,
-- in question order; `trait_scores` is JSON for the Big Five, NULL otherwise.
-- `has_crisis_indicators` is 0 or 1 (an integer, the one boolean both databases share via sqlx Any).
CREATE TABLE test_results (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id               TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    test_id               BIGINT NOT NULL REFERENCES tests (id),
    total_score           BIGINT NOT NULL,
    severity_level        TEXT NOT NULL,
    answers               TEXT NOT NULL,
    trait_scores          TEXT,
    has_crisis_indicators BIGINT NOT NULL DEFAULT 0,
    completed_at          TEXT NOT NULL
);
CREATE INDEX test_results_user_completed ON test_results (user_id, completed_at);
