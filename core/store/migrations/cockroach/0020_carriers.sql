-- CockroachDB only: labels and tracking events live in their order's region.
ALTER TABLE shipment_labels ADD COLUMN IF NOT EXISTS region_home crdb_internal_region AS (region::crdb_internal_region) STORED;
ALTER TABLE shipment_labels ALTER COLUMN region_home SET NOT NULL;
ALTER TABLE shipment_labels SET LOCALITY REGIONAL BY ROW AS region_home;
ALTER TABLE tracking_events ADD COLUMN IF NOT EXISTS region_home crdb_internal_region AS (region::crdb_internal_region) STORED;
ALTER TABLE tracking_events ALTER COLUMN region_home SET NOT NULL;
ALTER TABLE tracking_events SET LOCALITY REGIONAL BY ROW AS region_home;
