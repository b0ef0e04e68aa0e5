-- CockroachDB only: localities of the accounts tables. Personal data stays in the home region
-- of its shopper or staff member (the `region` column): REGIONAL BY ROW on a computed column.
ALTER TABLE users ADD COLUMN IF NOT EXISTS region_home crdb_internal_region
    AS (region::crdb_internal_region) STORED;
ALTER TABLE users ALTER COLUMN region_home SET NOT NULL;
ALTER TABLE users SET LOCALITY REGIONAL BY ROW AS region_home;
ALTER TABLE sessions ADD COLUMN IF NOT EXISTS region_home crdb_internal_region
    AS (region::crdb_internal_region) STORED;
ALTER TABLE sessions ALTER COLUMN region_home SET NOT NULL;
ALTER TABLE sessions SET LOCALITY REGIONAL BY ROW AS region_home;
ALTER TABLE addresses ADD COLUMN IF NOT EXISTS region_home crdb_internal_region
    AS (region::crdb_internal_region) STORED;
ALTER TABLE addresses ALTER COLUMN region_home SET NOT NULL;
ALTER TABLE addresses SET LOCALITY REGIONAL BY ROW AS region_home;
ALTER TABLE staff ADD COLUMN IF NOT EXISTS region_home crdb_internal_region
    AS (region::crdb_internal_region) STORED;
ALTER TABLE staff ALTER COLUMN region_home SET NOT NULL;
ALTER TABLE staff SET LOCALITY REGIONAL BY ROW AS region_home;
ALTER TABLE staff_sessions ADD COLUMN IF NOT EXISTS region_home crdb_internal_region
    AS (region::crdb_internal_region) STORED;
ALTER TABLE staff_sessions ALTER COLUMN region_home SET NOT NULL;
ALTER TABLE staff_sessions SET LOCALITY REGIONAL BY ROW AS region_home;
