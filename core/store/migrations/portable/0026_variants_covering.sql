-- Quotes and checkout read a cart's variants by id: this index carries what they need, so
-- each line is an index-only lookup (on CockroachDB the primary key already stores the row).
CREATE INDEX IF NOT EXISTS variants_by_id_covering ON variants (id) INCLUDE (sku, product_id);
