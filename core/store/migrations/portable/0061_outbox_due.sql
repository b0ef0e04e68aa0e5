-- The dispatcher's scan: pending events whose next attempt is due, oldest first.
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (status, next_attempt_at);
