-- CockroachDB only (applied when `SELECT version()` says CockroachDB), after the portable set.
-- The database regions themselves are added by the migration runner from the regions folder.
-- Application SQL never names the `region_home` column.

-- Catalog data is read everywhere and written rarely: GLOBAL.
ALTER TABLE categories SET LOCALITY GLOBAL;
ALTER TABLE category_ancestors SET LOCALITY GLOBAL;
ALTER TABLE category_translations SET LOCALITY GLOBAL;
ALTER TABLE attributes SET LOCALITY GLOBAL;
ALTER TABLE attribute_translations SET LOCALITY GLOBAL;
ALTER TABLE attribute_options SET LOCALITY GLOBAL;
ALTER TABLE attribute_option_translations SET LOCALITY GLOBAL;
ALTER TABLE products SET LOCALITY GLOBAL;
ALTER TABLE product_translations SET LOCALITY GLOBAL;
ALTER TABLE product_markets SET LOCALITY GLOBAL;
ALTER TABLE variants SET LOCALITY GLOBAL;
ALTER TABLE prices SET LOCALITY GLOBAL;
ALTER TABLE catalog_listing SET LOCALITY GLOBAL;

-- Request bookkeeping lives in the region that took the request.
ALTER TABLE idempotency_keys ADD COLUMN IF NOT EXISTS region_home crdb_internal_region
    AS (region::crdb_internal_region) STORED;
ALTER TABLE idempotency_keys ALTER COLUMN region_home SET NOT NULL;
ALTER TABLE idempotency_keys SET LOCALITY REGIONAL BY ROW AS region_home;
