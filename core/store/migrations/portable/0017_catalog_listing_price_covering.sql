-- Listings by price read only this index: it carries the publication time and the facet keys
-- too.
DROP INDEX IF EXISTS catalog_listing_price;
CREATE INDEX IF NOT EXISTS catalog_listing_price_covering
    ON catalog_listing (market, category_id, from_price_minor, product_id)
    INCLUDE (published_at, facet_keys);
