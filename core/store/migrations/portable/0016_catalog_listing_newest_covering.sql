-- Newest-first listings read only this index (backward scan): it carries the price and the
-- facet keys too.
DROP INDEX IF EXISTS catalog_listing_newest;
CREATE INDEX IF NOT EXISTS catalog_listing_newest_covering
    ON catalog_listing (market, category_id, published_at, product_id)
    INCLUDE (from_price_minor, facet_keys);
