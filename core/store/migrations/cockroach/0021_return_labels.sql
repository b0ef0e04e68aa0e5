-- CockroachDB only: return labels live in their return's region.
ALTER TABLE return_labels ADD COLUMN IF NOT EXISTS region_home crdb_internal_region AS (region::crdb_internal_region) STORED;
ALTER TABLE return_labels ALTER COLUMN region_home SET NOT NULL;
ALTER TABLE return_labels SET LOCALITY REGIONAL BY ROW AS region_home;
