-- CockroachDB only: an event's delivery log lives where the event does, in the region that
-- wrote it.
ALTER TABLE outbox_deliveries ADD COLUMN IF NOT EXISTS region_home crdb_internal_region AS (region::crdb_internal_region) STORED;
ALTER TABLE outbox_deliveries ALTER COLUMN region_home SET NOT NULL;
ALTER TABLE outbox_deliveries SET LOCALITY REGIONAL BY ROW AS region_home;
