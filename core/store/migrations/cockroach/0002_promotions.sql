-- CockroachDB only: localities of the promotion tables.

-- Definitions and codes are read on every quote in every region and written rarely: GLOBAL
-- (local reads everywhere; a write, such as a counted redemption, pays the cross-region
-- commit wait, which is why only limited promotions and coupons count on their rows).
ALTER TABLE promotions SET LOCALITY GLOBAL;
ALTER TABLE coupons SET LOCALITY GLOBAL;

-- Per-customer counts and the redemption log name customers and orders: they stay in the
-- customer's home region, where checkout writes them.
ALTER TABLE promotion_customer_uses ADD COLUMN IF NOT EXISTS region_home crdb_internal_region
    AS (region::crdb_internal_region) STORED;
ALTER TABLE promotion_customer_uses ALTER COLUMN region_home SET NOT NULL;
ALTER TABLE promotion_customer_uses SET LOCALITY REGIONAL BY ROW AS region_home;
ALTER TABLE promotion_redemptions ADD COLUMN IF NOT EXISTS region_home crdb_internal_region
    AS (region::crdb_internal_region) STORED;
ALTER TABLE promotion_redemptions ALTER COLUMN region_home SET NOT NULL;
ALTER TABLE promotion_redemptions SET LOCALITY REGIONAL BY ROW AS region_home;
