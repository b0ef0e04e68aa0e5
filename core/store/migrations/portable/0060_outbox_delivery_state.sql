-- Delivery state of outbox events. `status` is `pending` until the event is delivered
-- (`delivered`, with `published_at`), or `skipped` when no partner subscribes to its topic, or
-- `dead` after too many failed attempts (until an operator replays it). A dispatcher holds an
-- event while it delivers it by a lease (`lease_owner` until `lease_until`, on the database's
-- clock), taken with a conditional UPDATE, so that two dispatchers never deliver one event at
-- the same time; `attempts` counts the leases taken and fences a dispatcher whose lease ran out.
ALTER TABLE outbox
    ADD COLUMN IF NOT EXISTS status TEXT NOT NULL DEFAULT 'pending',
    ADD COLUMN IF NOT EXISTS attempts INT4 NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    ADD COLUMN IF NOT EXISTS lease_owner TEXT NULL,
    ADD COLUMN IF NOT EXISTS lease_until TIMESTAMPTZ NULL,
    ADD COLUMN IF NOT EXISTS last_error TEXT NULL;
