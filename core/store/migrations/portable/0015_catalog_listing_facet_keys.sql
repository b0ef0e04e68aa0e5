-- The filterable values of each listed product, as `code=value` keys ({"color=red",
-- "size=m", "brand=acme"}), so that filtered listings are decided on the listing row itself
-- (array overlap), without a join to products.
ALTER TABLE catalog_listing ADD COLUMN IF NOT EXISTS facet_keys TEXT[] NOT NULL DEFAULT '{}';
