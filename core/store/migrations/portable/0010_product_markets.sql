-- Assortment: the markets a product is sold in.
CREATE TABLE IF NOT EXISTS product_markets (
    product_id UUID NOT NULL REFERENCES products (id),
    market TEXT NOT NULL,
    PRIMARY KEY (product_id, market)
);
