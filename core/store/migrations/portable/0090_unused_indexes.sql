-- Indexes no statement uses, dropped: each cost writes on the purchase path. `outbox_unpublished`
-- was the dispatcher's before events had a status (0061's `outbox_due` serves every outbox read
-- now), and every event's insert and its two updates (leased, then delivered) added an entry to
-- it. No statement looks redemptions up by coupon code (coupons keep their own use counters).
DROP INDEX IF EXISTS outbox_unpublished;
DROP INDEX IF EXISTS promotion_redemptions_by_code;
