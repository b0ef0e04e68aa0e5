-- A variant's price in a market, readable from the index alone.
CREATE INDEX IF NOT EXISTS prices_by_key_covering ON prices (variant_id, market) INCLUDE (amount_minor);
