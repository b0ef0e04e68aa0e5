-- CockroachDB only: stock feed bookkeeping lives in the warehouse's region, shipments in their
-- order's region.
ALTER TABLE stock_feed_deltas ADD COLUMN IF NOT EXISTS region_home crdb_internal_region AS (region::crdb_internal_region) STORED;
ALTER TABLE stock_feed_deltas ALTER COLUMN region_home SET NOT NULL;
ALTER TABLE stock_feed_deltas SET LOCALITY REGIONAL BY ROW AS region_home;
ALTER TABLE stock_feed_issues ADD COLUMN IF NOT EXISTS region_home crdb_internal_region AS (region::crdb_internal_region) STORED;
ALTER TABLE stock_feed_issues ALTER COLUMN region_home SET NOT NULL;
ALTER TABLE stock_feed_issues SET LOCALITY REGIONAL BY ROW AS region_home;
ALTER TABLE shipments ADD COLUMN IF NOT EXISTS region_home crdb_internal_region AS (region::crdb_internal_region) STORED;
ALTER TABLE shipments ALTER COLUMN region_home SET NOT NULL;
ALTER TABLE shipments SET LOCALITY REGIONAL BY ROW AS region_home;
