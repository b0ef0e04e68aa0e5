-- CockroachDB only: the staff audit log and unapplied partner events live in the region of the
-- core that recorded them.
ALTER TABLE staff_audit ADD COLUMN IF NOT EXISTS region_home crdb_internal_region AS (region::crdb_internal_region) STORED;
ALTER TABLE staff_audit ALTER COLUMN region_home SET NOT NULL;
ALTER TABLE staff_audit SET LOCALITY REGIONAL BY ROW AS region_home;
ALTER TABLE partner_events_unapplied ADD COLUMN IF NOT EXISTS region_home crdb_internal_region AS (region::crdb_internal_region) STORED;
ALTER TABLE partner_events_unapplied ALTER COLUMN region_home SET NOT NULL;
ALTER TABLE partner_events_unapplied SET LOCALITY REGIONAL BY ROW AS region_home;
