-- Variants: each is one SKU. `attributes` holds the variant-level values ({"size": "M"}).
CREATE TABLE IF NOT EXISTS variants (
    id UUID NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    product_id UUID NOT NULL REFERENCES products (id),
    sku TEXT NOT NULL UNIQUE,
    attributes JSONB NOT NULL DEFAULT '{}',
    position INT4 NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS variants_by_product ON variants (product_id, position);
