-- The dispatchers' claim reads a region's due events in the order it leases them (due time,
-- then id; `claim` in `commerce/outbox.rs`): with the region in the key, that is one index
-- range read in order that stops after a batch, however long the backlog behind it (a partner
-- down for an hour leaves hundreds of thousands). The purge and the operators' counts read the
-- same ranges. It replaces `outbox_due` (status and due time only), which left a backlog to be
-- fetched and sorted on every claim.
CREATE INDEX IF NOT EXISTS outbox_due_in_order ON outbox (status, region, next_attempt_at, id);
DROP INDEX IF EXISTS outbox_due;
