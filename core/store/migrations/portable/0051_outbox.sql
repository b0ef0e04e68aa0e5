-- Transactional outbox: events written in the same transaction as the change they describe,
-- delivered at least once by the dispatcher; consumers dedupe by id.
CREATE TABLE IF NOT EXISTS outbox (
    id UUID NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    topic TEXT NOT NULL,
    aggregate_id UUID NOT NULL,
    payload JSONB NOT NULL,
    region TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    published_at TIMESTAMPTZ NULL
);
CREATE INDEX IF NOT EXISTS outbox_unpublished ON outbox (published_at, created_at);
