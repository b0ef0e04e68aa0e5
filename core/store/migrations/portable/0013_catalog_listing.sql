-- Read model for category listings: one row per (market, category or ancestor, product) for
-- every published product sold and priced in the market. Rebuilt for a product in the same
-- transaction as any write that changes what it shows. Keyset pagination walks its indexes.
CREATE TABLE IF NOT EXISTS catalog_listing (
    market TEXT NOT NULL,
    category_id UUID NOT NULL,
    product_id UUID NOT NULL,
    published_at TIMESTAMPTZ NOT NULL,
    from_price_minor INT8 NOT NULL,
    PRIMARY KEY (market, category_id, product_id)
);
-- Newest first is a backward scan of this index.
CREATE INDEX IF NOT EXISTS catalog_listing_newest
    ON catalog_listing (market, category_id, published_at, product_id);
CREATE INDEX IF NOT EXISTS catalog_listing_price
    ON catalog_listing (market, category_id, from_price_minor, product_id);
CREATE INDEX IF NOT EXISTS catalog_listing_by_product ON catalog_listing (product_id);
