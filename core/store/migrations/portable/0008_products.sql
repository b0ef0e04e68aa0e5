-- Products. `attributes` holds the product-level attribute values ({"brand": "Acme"});
-- `facets` holds every filterable value of the product and its variants as arrays
-- ({"brand": ["Acme"], "color": ["red", "blue"]}), kept in step by the store on every write.
CREATE TABLE IF NOT EXISTS products (
    id UUID NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    category_id UUID NOT NULL REFERENCES categories (id),
    tax_category TEXT NOT NULL DEFAULT 'standard',
    attributes JSONB NOT NULL DEFAULT '{}',
    facets JSONB NOT NULL DEFAULT '{}',
    status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published')),
    published_at TIMESTAMPTZ NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS products_by_category ON products (category_id);
