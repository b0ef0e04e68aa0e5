-- The delivery log: one row per attempt to deliver an outbox event, by which dispatcher, to
-- which subscriber, with its outcome (`delivered`, `failed`, `dead`, `skipped`), the partner's
-- HTTP status and error when there was one, and how long it took.
CREATE TABLE IF NOT EXISTS outbox_deliveries (
    id UUID NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    event_id UUID NOT NULL,
    attempt INT4 NOT NULL,
    subscriber TEXT NOT NULL,
    dispatcher TEXT NOT NULL,
    outcome TEXT NOT NULL,
    http_status INT4 NULL,
    error TEXT NULL,
    duration_ms INT8 NOT NULL,
    region TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS outbox_deliveries_by_event ON outbox_deliveries (event_id, created_at);
