-- Idempotency keys of state-changing POSTs: a retry with the same key returns the first
-- response; the same key with another body is rejected. `region` is the region of the core
-- that took the request (its rows stay in that region on CockroachDB).
CREATE TABLE IF NOT EXISTS idempotency_keys (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    region TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INT4 NULL,
    response BYTEA NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, key)
);
