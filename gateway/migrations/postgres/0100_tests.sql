-- The four self-assessments, with the contract's fixed ids. Only their identity lives here (the
-- target of test_results.test_id); wording, options, scoring and bands live in the gateway's
-- code (domain/assessments), the single source of truth, and a test checks these rows match it.
-- ON CONFLICT keeps the seed idempotent should the rows already exist.
CREATE TABLE tests (
    id        BIGINT PRIMARY KEY,
    test_type TEXT NOT NULL UNIQUE,
    name      TEXT NOT NULL
);
INSERT INTO tests (id, test_type, name) VALUES
    (1, 'PHQ9', 'PHQ-9 Depression Screening'),
    (2, 'GAD7', 'GAD-7 Anxiety Screening'),
    (3, 'BIGFIVE_IPIP', 'Big Five Personality Test'),
    (4, 'PSS10', 'PSS-10 Stress Assessment')
ON CONFLICT (id) DO NOTHING;
