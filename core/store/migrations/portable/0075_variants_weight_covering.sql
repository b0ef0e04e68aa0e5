-- Quotes and checkout also read each variant's shipping weight: this index carries it beside
-- what `variants_by_id_covering` holds, so each line stays an index-only lookup.
CREATE INDEX IF NOT EXISTS variants_by_id_weight_covering ON variants (id) INCLUDE (sku, product_id, weight_grams);
